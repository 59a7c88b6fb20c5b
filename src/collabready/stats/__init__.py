"""collabready.stats"""
