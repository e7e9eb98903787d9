"""selfcheck"""
