* Read an SPSS export of collabready and show what PSPP sees in it.
* scripts/reference/check_sav_pspp.py puts the file name in place of {FILE}.
SET TVARS=NAMES TNUMBERS=BOTH.
SYSFILE INFO FILE='{FILE}'.
GET FILE='{FILE}'.
DISPLAY DICTIONARY.
FREQUENCIES VARIABLES=sector cit_com_1 level.
