package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// ncpSignatureByHand computes a SENS signature straight from its definition.
func ncpSignatureByHand(secret, message string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// testdataNCPVector reads the signature that openssl computed (testdata/ncp_signature.txt).
func testdataNCPVector(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/ncp_signature.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
