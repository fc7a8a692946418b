package attach

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// cosign's layout of signatures and attestations (cosign's pkg/oci/static
// and pkg/types).
const (
	SimpleSigningType   = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEType            = "application/vnd.dsse.envelope.v1+json"
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// predicateType is the annotation cosign puts on an attestation layer.
	predicateTypeAnnotation = "predicateType"
)

// sign adds a simple-signing signature of ref to its .sig image, unless one
// there already verifies with the key. It reports whether it wrote.
func (k *Key) sign(ref name.Digest, opts []remote.Option) (bool, error) {
	tag := sigTag(ref)
	base, layers, err := existing(tag, opts)
	if err != nil {
		return false, err
	}
	for _, l := range layers {
		if ok, err := k.verifiesSignature(base, l, ref); err != nil {
			return false, err
		} else if ok {
			return false, nil
		}
	}
	// The payload cosign signs: the repository and the manifest digest.
	body, err := payload.Cosign{Image: ref}.MarshalJSON()
	if err != nil {
		return false, err
	}
	sig, err := k.sv.SignMessage(bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	return true, appendLayer(base, tag, static.NewLayer(body, SimpleSigningType),
		map[string]string{SignatureAnnotation: b64.EncodeToString(sig)}, opts)
}

// verifiesSignature tells whether layer l of the .sig image is a signature
// of ref that verifies with the key.
func (k *Key) verifiesSignature(img v1.Image, l v1.Layer, ref name.Digest) (bool, error) {
	ann, ok, err := layerAnnotations(img, l, SimpleSigningType)
	if err != nil || !ok {
		return false, err
	}
	sig, err := b64.DecodeString(ann[SignatureAnnotation])
	if err != nil {
		return false, nil
	}
	body, err := blob(l)
	if err != nil {
		return false, err
	}
	if k.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(body)) != nil {
		return false, nil
	}
	var p payload.Cosign
	if json.Unmarshal(body, &p) != nil {
		return false, nil
	}
	return p.Image.DigestStr() == ref.DigestStr(), nil
}

// attest adds the statement, in a DSSE envelope signed with the key, to
// ref's .att image, unless an envelope of the same statement there already
// verifies with the key. It reports whether it wrote.
func (k *Key) attest(ref name.Digest, stmt []byte, opts []remote.Option) (bool, error) {
	tag := attTag(ref)
	base, layers, err := existing(tag, opts)
	if err != nil {
		return false, err
	}
	for _, l := range layers {
		_, ok, err := layerAnnotations(base, l, DSSEType)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		env, err := blob(l)
		if err != nil {
			return false, err
		}
		var got []byte
		v := dsse.WrapVerifier(k.sv, dsse.WithDecodedPayload(&got), dsse.WithExpectedPayloadType(IntotoType))
		if v.VerifySignature(bytes.NewReader(env), nil) == nil && bytes.Equal(got, stmt) {
			return false, nil
		}
	}
	env, err := dsse.WrapSigner(k.sv, IntotoType).SignMessage(bytes.NewReader(stmt))
	if err != nil {
		return false, err
	}
	return true, appendLayer(base, tag, static.NewLayer(env, DSSEType),
		map[string]string{SignatureAnnotation: "", predicateTypeAnnotation: predicateType(stmt)}, opts)
}

// existing returns the image at tag and its layers (the signatures or
// attestations already there), or an empty image shaped like cosign's (OCI
// manifest, OCI config) if the tag does not exist yet.
func existing(tag name.Tag, opts []remote.Option) (v1.Image, []v1.Layer, error) {
	img, err := remote.Image(tag, opts...)
	if err != nil {
		if !notFound(err) {
			return nil, nil, err
		}
		img = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, nil, err
	}
	return img, layers, nil
}

// appendLayer adds one layer to base and writes it to tag. remote.Write
// uploads only the blobs the repository lacks: the new layer and config.
func appendLayer(base v1.Image, tag name.Tag, l v1.Layer, ann map[string]string, opts []remote.Option) error {
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, Annotations: ann, MediaType: mustMediaType(l)})
	if err != nil {
		return err
	}
	return remote.Write(tag, img, opts...)
}

func mustMediaType(l v1.Layer) types.MediaType {
	mt, _ := l.MediaType()
	return mt
}

// layerAnnotations returns the annotations of layer l in img's manifest,
// and whether it has media type mt.
func layerAnnotations(img v1.Image, l v1.Layer, mt types.MediaType) (map[string]string, bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, false, err
	}
	d, err := l.Digest()
	if err != nil {
		return nil, false, err
	}
	for _, desc := range m.Layers {
		if desc.Digest == d {
			return desc.Annotations, desc.MediaType == mt, nil
		}
	}
	return nil, false, nil
}

// blob reads a small layer (a payload or an envelope) whole.
func blob(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 4<<20))
}
