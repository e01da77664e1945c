"""Refinement graphs: compiled LangGraph state machines that chain actor, critic, judge,
verifier and memory.

Every graph shares one `Budget` across its branches, ends with the best candidate so far and a
`StopReason`, streams `GraphEvent`s, checkpoints in SQLite and resumes, and traces each step.

A custom graph is built from the same pieces: a `GraphState` subclass; nodes made with
`node(name)` that call the steps (`propose`, `check_with_verifier`, `check_with_critic`,
`check_with_judge`, `reflect`, `write_tests`) and set `stop_reason` (`decide_stop`); routers made
with `router` (`route_unless_stopped`, `fan_out_unscored`); or, for the simplest loop,
`act_check_loop`. `run_graph` runs it and reads the result from its final state.
"""

from agentloop.graphs._best_of_n import BestOfNState, Match, best_of_n_graph
from agentloop.graphs._catalog import GRAPH_NAMES, build_graph, check_options, graph_options
from agentloop.graphs._checkpoint import open_checkpointer
from agentloop.graphs._events import EventKind, GraphEvent
from agentloop.graphs._judge_memory import (
    record_judge_outcome,
    remember_judgement,
    remember_pointwise,
)
from agentloop.graphs._lats import LatsState, lats_graph
from agentloop.graphs._loop import act_check_loop
from agentloop.graphs._node import NodeFunction, node
from agentloop.graphs._reflexion import ReflexionState, reflexion_graph
from agentloop.graphs._routing import fan_out_unscored, route_unless_stopped, router
from agentloop.graphs._run import DEFAULT_MODEL, run_graph, run_graph_sync
from agentloop.graphs._self_refine import SelfRefineState, self_refine_graph
from agentloop.graphs._state import (
    Candidate,
    GraphState,
    RunResult,
    ScoreJob,
    StopReason,
    best_candidate,
)
from agentloop.graphs._steps import (
    check_with_critic,
    check_with_judge,
    check_with_verifier,
    propose,
    reflect,
    write_tests,
)
from agentloop.graphs._stopping import budget_left, decide_stop
from agentloop.graphs._tree import TreeNode, select_leaf, tree_to_dot, tree_to_json
from agentloop.graphs._tree_draw import tree_to_png, write_tree
from agentloop.graphs._try_again import TRY_AGAIN, TryAgainState, try_again_graph

__all__ = [
    "DEFAULT_MODEL",
    "GRAPH_NAMES",
    "TRY_AGAIN",
    "BestOfNState",
    "Candidate",
    "EventKind",
    "GraphEvent",
    "GraphState",
    "LatsState",
    "Match",
    "NodeFunction",
    "ReflexionState",
    "RunResult",
    "ScoreJob",
    "SelfRefineState",
    "StopReason",
    "TreeNode",
    "TryAgainState",
    "act_check_loop",
    "best_candidate",
    "best_of_n_graph",
    "budget_left",
    "build_graph",
    "check_with_critic",
    "check_with_judge",
    "check_options",
    "check_with_verifier",
    "decide_stop",
    "fan_out_unscored",
    "graph_options",
    "lats_graph",
    "node",
    "open_checkpointer",
    "propose",
    "record_judge_outcome",
    "reflect",
    "reflexion_graph",
    "remember_judgement",
    "remember_pointwise",
    "route_unless_stopped",
    "router",
    "run_graph",
    "run_graph_sync",
    "select_leaf",
    "self_refine_graph",
    "tree_to_dot",
    "tree_to_json",
    "tree_to_png",
    "try_again_graph",
    "write_tree",
    "write_tests",
]
