"""sandbox/worker"""
