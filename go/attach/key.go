package attach

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Environment variables read when the push runs.
const (
	// EnvKey names the private key: a file path, or env://VAR for a
	// variable holding the PEM (as cosign's --key accepts).
	EnvKey = "STRATA_SIGNING_KEY"
	// EnvPassword is the password of an encrypted key, cosign's variable.
	EnvPassword = "COSIGN_PASSWORD"
)

// PEM block types of the keys `cosign generate-key-pair` writes (the second
// is what cosign before 2.0 wrote).
var encryptedTypes = map[string]bool{
	"ENCRYPTED SIGSTORE PRIVATE KEY": true,
	"ENCRYPTED COSIGN PRIVATE KEY":   true,
}

// Key signs and verifies; its private half stays in this process.
type Key struct {
	sv signature.SignerVerifier
}

// LoadKey reads the key spec names (a path, or env://VAR) and decrypts it
// with password. target names the push target for errors. Errors never
// contain key material or the password, and always say how to fix them.
func LoadKey(target, spec, password string) (*Key, error) {
	const fixKey = "point " + EnvKey + " at the private key `cosign generate-key-pair` wrote (cosign.key), or at env://VAR naming a variable that holds it; unset " + EnvKey + " to push unsigned"
	var raw []byte
	what := spec
	if v, ok := strings.CutPrefix(spec, "env://"); ok {
		raw = []byte(os.Getenv(v))
		what = EnvKey + "=" + spec
		if len(raw) == 0 {
			return nil, usererr.New(target, what, "the variable "+v+" is empty or unset, so there is no signing key", fixKey)
		}
	} else {
		var err error
		if raw, err = os.ReadFile(spec); err != nil {
			problem := EnvKey + " names a file that cannot be read"
			if os.IsNotExist(err) {
				problem = EnvKey + " names a file that does not exist"
			}
			return nil, usererr.New(target, spec, problem+" (relative paths are resolved from where you ran bazel)", fixKey)
		}
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, usererr.New(target, what, EnvKey+" does not hold a PEM private key", fixKey)
	}
	der := block.Bytes
	switch {
	case encryptedTypes[block.Type]:
		var err error
		if der, err = encrypted.Decrypt(block.Bytes, []byte(password)); err != nil {
			problem := "cannot decrypt the signing key " + EnvKey + " names with " + EnvPassword
			if password == "" {
				problem += " (it is empty or unset)"
			}
			return nil, usererr.New(target, what, problem, "set "+EnvPassword+" to the password the key was generated with, or point "+EnvKey+" at another key")
		}
	case block.Type == "PRIVATE KEY":
	default:
		return nil, usererr.New(target, what, fmt.Sprintf("%s holds a PEM block of type %q, not a private key strata can use", EnvKey, block.Type), fixKey)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, usererr.New(target, what, "the signing key is not a PKCS #8 private key", fixKey)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, usererr.New(target, what, "unsupported signing key ("+err.Error()+")", "use an ECDSA P-256 key, as `cosign generate-key-pair` makes")
	}
	return &Key{sv: sv}, nil
}

// NewKey wraps a private key (ECDSA, RSA or Ed25519), for tests.
func NewKey(priv crypto.PrivateKey) (*Key, error) {
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &Key{sv: sv}, nil
}
