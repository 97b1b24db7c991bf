# the profile keys the checks of this folder verify (oupcheck.marks)
NAMESPACES = ("ncsc-tls:", "owasp-api:", "oshp:", "forum-std:")
