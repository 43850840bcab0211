/* The fixed identities of the age harnesses: test keys made for the fuzz
 * corpus (tests/fuzz/make-corpus.sh encrypts to them with stock age), so
 * that seeds reach the header MAC and the payload. Not secrets. */
#ifndef GITCHAT_FUZZ_AGE_IDS_H
#define GITCHAT_FUZZ_AGE_IDS_H

#define FZ_AGE_X25519 "AGE-SECRET-KEY-1PMK9RZDQNGX7JSWDD0QYUNW00FE6PT2NE7SJKHHDSU92GW5MAUGQKRAVEX"
#define FZ_AGE_X25519_RECIPIENT "age1kw0vu6nu3tjhqrh4ycu80clchsksl7fdrgm83kyj72l6qkcql5pqjsv5s5"
#define FZ_AGE_SSH_KEY \
	"-----BEGIN OPENSSH PRIVATE KEY-----\n" \
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" \
	"QyNTUxOQAAACAoyT5xCcr1+zwRWnoUe9p/cFkJ397w2KsSeUPAOOK8aAAAAJBOCOPKTgjj\n" \
	"ygAAAAtzc2gtZWQyNTUxOQAAACAoyT5xCcr1+zwRWnoUe9p/cFkJ397w2KsSeUPAOOK8aA\n" \
	"AAAECyim81PkrAh7eB4G8zdilpYd2rtH1gFk7MrR72IbpRUCjJPnEJyvX7PBFaehR72n9w\n" \
	"WQnf3vDYqxJ5Q8A44rxoAAAACGZ1enotYWdlAQIDBAU=\n" \
	"-----END OPENSSH PRIVATE KEY-----\n"
#define FZ_AGE_SSH_RECIPIENT \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICjJPnEJyvX7PBFaehR72n9wWQnf3vDYqxJ5Q8A44rxo fuzz-age"

#endif
