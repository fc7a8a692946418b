"""Public API of rules_strata.

All public rules, macros and providers are re-exported here; anything loaded
from rules/private/ is an implementation detail and may change without notice.
"""

load("//rules/private:image.bzl", _image_rule = "image_rule")
load("//rules/private:image_index.bzl", _image_index_rule = "image_index_rule")
load("//rules/private:image_index_info.bzl", _ImageIndexInfo = "ImageIndexInfo")
load("//rules/private:image_index_macro.bzl", _image_index = "image_index")
load("//rules/private:image_info.bzl", _ImageInfo = "ImageInfo")
load("//rules/private:image_macro.bzl", _image = "image")
load("//rules/private:image_pull.bzl", _image_pull = "image_pull")
load("//rules/private:image_test.bzl", _image_test = "image_test")
load("//rules/private:inspect.bzl", _image_inspect = "image_inspect")
load("//rules/private:layer.bzl", _image_layer = "image_layer")
load("//rules/private:layer_info.bzl", _LayerInfo = "LayerInfo")
load("//rules/private:load.bzl", _image_load = "image_load")
load("//rules/private:push.bzl", _image_probe = "image_probe", _image_push = "image_push")

image = _image
image_rule = _image_rule
image_layer = _image_layer
image_push = _image_push
image_probe = _image_probe
image_load = _image_load
image_inspect = _image_inspect
image_pull = _image_pull
image_test = _image_test
ImageInfo = _ImageInfo
LayerInfo = _LayerInfo
image_index = _image_index
image_index_rule = _image_index_rule
ImageIndexInfo = _ImageIndexInfo
