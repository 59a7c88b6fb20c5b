"""collabready.scoring"""
