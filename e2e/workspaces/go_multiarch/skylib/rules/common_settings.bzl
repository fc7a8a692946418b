"""Stand-in for bazel_skylib's common_settings: Bazel's own copy, re-exported."""

load(
    "@bazel_tools//tools/config:common_settings.bzl",
    _BuildSettingInfo = "BuildSettingInfo",
    _bool_flag = "bool_flag",
    _bool_setting = "bool_setting",
    _int_flag = "int_flag",
    _int_setting = "int_setting",
    _string_flag = "string_flag",
    _string_list_flag = "string_list_flag",
    _string_list_setting = "string_list_setting",
    _string_setting = "string_setting",
)

BuildSettingInfo = _BuildSettingInfo
bool_flag = _bool_flag
bool_setting = _bool_setting
int_flag = _int_flag
int_setting = _int_setting
string_flag = _string_flag
string_list_flag = _string_list_flag
string_list_setting = _string_list_setting
string_setting = _string_setting
