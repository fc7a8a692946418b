package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/attach"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// attachFlags are push's flags for what follows the image.
type attachFlags struct {
	spec, key *string
}

func addAttachFlags(fs *flag.FlagSet) *attachFlags {
	return &attachFlags{
		spec: fs.String("attach-spec", "", "SBOM and provenance to attach as referrers (written by the push target); empty: none"),
		key: fs.String("signing-key", os.Getenv(attach.EnvKey),
			"cosign private key to sign with: a file, or env://VAR (default: $"+attach.EnvKey+"; password in $"+attach.EnvPassword+")"),
	}
}

// attachJob is what push attaches once the image is up.
type attachJob struct {
	target string
	docs   attach.Documents
	key    *attach.Key
}

// load reads the documents and the key before anything is pushed, so a bad
// key fails the push early.
func (a *attachFlags) load(target string) (*attachJob, error) {
	j := &attachJob{target: target}
	if *a.spec != "" {
		s, err := spec.ReadAttach(*a.spec)
		if err != nil {
			return nil, usererr.New(target, *a.spec, "cannot read the attach spec: "+err.Error(), "rebuild the push target (bazel build TARGET); never edit it by hand")
		}
		j.docs = attach.Documents{SBOM: s.SBOM, Provenance: s.Provenance}
	}
	if *a.key != "" {
		k, err := attach.LoadKey(target, userPathKey(*a.key), os.Getenv(attach.EnvPassword))
		if err != nil {
			return nil, err
		}
		j.key = k
	}
	return j, nil
}

func userPathKey(spec string) string {
	if strings.HasPrefix(spec, "env://") {
		return spec
	}
	return userPath(spec)
}

func (j *attachJob) empty() bool {
	return j.key == nil && j.docs.SBOM == nil && j.docs.Provenance == nil
}

// what lists what would be attached, for a dry run.
func (j *attachJob) what() string {
	var w []string
	if j.docs.SBOM != nil {
		w = append(w, "SBOM referrer")
	}
	if j.docs.Provenance != nil {
		w = append(w, "provenance referrer")
	}
	if j.key != nil {
		w = append(w, "signature")
		if j.docs.Provenance != nil {
			w = append(w, "provenance attestation")
		}
	}
	return strings.Join(w, ", ")
}

// run attaches to every repository the image was pushed to.
func (j *attachJob) run(ctx context.Context, manifest []byte, mt types.MediaType, results []push.Result, retry regclient.Retry, jobs int) error {
	if j.empty() {
		return nil
	}
	if mt == "" {
		mt = mediaTypeOf(manifest)
	}
	if mt == "" {
		mt = types.OCIManifestSchema1
	}
	d, n, err := v1.SHA256(strings.NewReader(string(manifest)))
	if err != nil {
		return err
	}
	subject := v1.Descriptor{MediaType: mt, Digest: d, Size: n}
	var hosts []string
	for _, r := range results {
		hosts = append(hosts, r.Reference.RegistryStr())
	}
	access := regclient.NewAccess(hosts...)
	first := map[string]name.Repository{} // registry -> first repository attached to
	for _, r := range results {
		c := &attach.Counter{}
		o := attach.Options{Key: j.key, Remote: access.RemoteOptions(ctx, retry, jobs, c.Wrap)}
		if f, ok := first[r.Reference.RegistryStr()]; ok {
			o.MountFrom = &f
		} else {
			first[r.Reference.RegistryStr()] = r.Reference.Context()
		}
		res, err := attach.Attach(ctx, r.Reference, subject, j.docs, o)
		if err != nil {
			if regclient.Refused(err) {
				return usererr.New(j.target, "", "the image was pushed, but the registry refused its attachments ("+err.Error()+")", regclient.LoginFix)
			}
			return fmt.Errorf("%s: the image was pushed, but attaching failed: %w", r.Reference.Context(), err)
		}
		repo := r.Reference.Context()
		for _, w := range res.Written {
			fmt.Fprintf(os.Stderr, "%s: attached %s\n", repo, w)
		}
		if len(res.Present) > 0 {
			fmt.Fprintf(os.Stderr, "%s: already attached: %s\n", repo, strings.Join(res.Present, ", "))
		}
		fmt.Fprintf(os.Stderr, "%s: attachments sent %d write requests, %d bytes\n", repo, c.Writes(), c.Bytes())
	}
	return nil
}

// mediaTypeOf reads a manifest's or index's own mediaType field.
func mediaTypeOf(raw []byte) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	json.Unmarshal(raw, &m)
	return m.MediaType
}
