"""author"""
