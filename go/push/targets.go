package push

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/tagtemplate"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Targets checks the repositories and tags of a push or probe of target and
// returns one Target per repository, every one with all tags. A repository
// whose registry STRATA_REGISTRY_INSECURE names is spoken to over plain HTTP.
// owner names what sets the repositories (an attribute), for the fix.
func Targets(target, owner string, repos, tags []string) ([]Target, error) {
	if len(repos) == 0 {
		return nil, usererr.New(target, "", "no repository given",
			"set repositories on "+owner+", or pass one: bazel run TARGET -- --repository registry.example.com/team/app")
	}
	for _, t := range tags {
		if t != tagtemplate.Sanitize(t) || len(t) > tagtemplate.MaxLen {
			return nil, usererr.New(target, t, "not a valid tag", "tags are lowercase [a-z0-9_.-], at most 128 characters; templates like {BRANCH} are sanitized for you")
		}
	}
	var targets []Target
	insecure := regclient.InsecureHosts()
	for _, r := range repos {
		repo, err := name.NewRepository(r)
		if err == nil && insecure[repo.RegistryStr()] {
			// The user said this registry is plain HTTP (STRATA_REGISTRY_INSECURE).
			repo, err = name.NewRepository(r, name.Insecure)
		}
		if err != nil {
			return nil, usererr.New(target, r, "not a repository: "+err.Error(), "write repositories as host/path, e.g. \"registry.example.com/team/app\"")
		}
		targets = append(targets, Target{Repository: repo, Tags: tags})
	}
	return targets, nil
}
