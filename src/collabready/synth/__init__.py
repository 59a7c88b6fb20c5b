"""collabready.synth"""
