"""collabready.web"""
