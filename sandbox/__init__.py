"""agentloop.sandbox"""
