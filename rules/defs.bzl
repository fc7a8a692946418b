"""Public API of rules_strata.

All public rules and providers are re-exported here; anything loaded from
rules/private/ is an implementation detail and may change without notice.
"""

load("//rules/private:image.bzl", _image = "image")
load("//rules/private:image_info.bzl", _ImageInfo = "ImageInfo")
load("//rules/private:layer.bzl", _image_layer = "image_layer")
load("//rules/private:layer_info.bzl", _LayerInfo = "LayerInfo")

image = _image
image_layer = _image_layer
ImageInfo = _ImageInfo
LayerInfo = _LayerInfo
