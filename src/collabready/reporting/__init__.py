"""collabready.reporting"""
