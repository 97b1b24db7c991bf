# the profile keys the checks of this folder verify (oupcheck.marks)
NAMESPACES = ("nlgov-adr:", "nlgov-adr-linter:")
