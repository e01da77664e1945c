"""agentloop.tools"""
