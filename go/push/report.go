package push

import (
	"fmt"
	"io"
	"strings"

	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Explain turns an error of Push or PushIndex of target into what the user
// reads: a refusal names the login fix, a user error gets the target, and
// anything else says that no tag moved to an incomplete what ("image",
// "index").
func Explain(err error, target, what string) error {
	if err == nil {
		return nil
	}
	if regclient.Refused(err) {
		return usererr.New(target, "", "the registry refused access; no tag was moved ("+err.Error()+")", regclient.LoginFix)
	}
	if ue, ok := usererr.As(err); ok {
		if ue.Target == "" {
			ue.Target = target
		}
		return ue
	}
	return fmt.Errorf("push failed, no tag was moved to an incomplete %s: %w", what, err)
}

// ReportDryRun writes to w what a dry run found the push would do in one
// repository: blobs to upload or mount, then the manifest and tags.
func ReportDryRun(w io.Writer, r Result, tags []string) {
	repo := r.Reference.Context()
	if r.UpToDate {
		fmt.Fprintf(w, "%s: up to date; would tag: %s\n", repo, strings.Join(r.TagsMoved, ", "))
		return
	}
	var size int64
	uploads, mounts := 0, 0
	for _, p := range r.Plan {
		if p.Action == Mount {
			mounts++
			fmt.Fprintf(w, "%s: would mount %s from %s\n", repo, p.Descriptor.Digest, p.From)
			continue
		}
		uploads++
		size += p.Descriptor.Size
		fmt.Fprintf(w, "%s: would upload %s (%d bytes)\n", repo, p.Descriptor.Digest, p.Descriptor.Size)
	}
	then := "then put the manifest"
	if len(tags) > 0 {
		then += " and tag: " + strings.Join(tags, ", ")
	}
	fmt.Fprintf(w, "%s: would upload %d blobs (%d bytes), mount %d; %s\n", repo, uploads, size, mounts, then)
}

// ReportProbe writes one line per repository of a probe to w and reports
// whether every one is complete; missing says how much a repository without
// the manifest lacks.
func ReportProbe(w io.Writer, results []ProbeResult, missing func(ProbeResult) string) (complete bool) {
	complete = true
	for _, r := range results {
		repo := r.Target.Repository.String()
		switch {
		case r.Complete():
			fmt.Fprintf(w, "%s: present, tags up to date\n", repo)
		case r.Manifest:
			fmt.Fprintf(w, "%s: present; tags to move: %s\n", repo, strings.Join(r.StaleTags, ", "))
		default:
			fmt.Fprintf(w, "%s: missing (%s)\n", repo, missing(r))
		}
		complete = complete && r.Complete()
	}
	return complete
}
