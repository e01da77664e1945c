"""agentloop.graphs"""
