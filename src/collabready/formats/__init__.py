"""collabready.formats"""
