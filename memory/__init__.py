"""agentloop.memory"""
