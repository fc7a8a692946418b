package regclient

import (
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// LoginFix is the advice for a registry that refuses our credentials.
const LoginFix = "log in with an account that may push or pull it: docker login HOST (or REGISTRY_AUTH_FILE, or STRATA_REGISTRY_USERNAME/STRATA_REGISTRY_PASSWORD)"

// Refused reports whether err is the registry saying 401 or 403.
func Refused(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden)
}

// NotFound reports whether err is the registry saying 404.
func NotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}
