"""`agentloop.graphs` exports exactly its documented names: the graphs, running them, and the
pieces a custom graph is built from; none of the internals that help build them."""

from __future__ import annotations

import agentloop.graphs
from tests.public_surface import public_names

EXPECTED = {
    # The graphs, their states and what they return.
    "best_of_n_graph", "lats_graph", "reflexion_graph", "self_refine_graph", "try_again_graph",
    "BestOfNState", "LatsState", "ReflexionState", "SelfRefineState", "TryAgainState",
    "Match", "TreeNode", "TRY_AGAIN",
    "Candidate", "GraphState", "RunResult", "ScoreJob", "StopReason", "best_candidate",
    # Running them, by name or built.
    "DEFAULT_MODEL", "GRAPH_NAMES", "build_graph", "check_options", "graph_options",
    "run_graph", "run_graph_sync", "open_checkpointer", "EventKind", "GraphEvent",
    # A custom graph's pieces: nodes, steps, stop policy, routers, the act-check loop.
    "NodeFunction", "node", "act_check_loop",
    "propose", "check_with_critic", "check_with_judge", "check_with_verifier", "reflect",
    "write_tests",
    "budget_left", "decide_stop",
    "router", "route_unless_stopped", "fan_out_unscored",
    # Judge experience, and pictures of the LATS tree.
    "record_judge_outcome", "remember_judgement", "remember_pointwise",
    "select_leaf", "tree_to_dot", "tree_to_json", "tree_to_png", "write_tree",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.graphs.__all__) == EXPECTED
    assert public_names(agentloop.graphs) == EXPECTED


def test_the_internals_that_build_the_graphs_are_not_exported() -> None:
    internals = {"upsert", "emit", "uct", "checkpointed", "model_failures", "cut_short_by"}
    assert internals.isdisjoint(vars(agentloop.graphs))
