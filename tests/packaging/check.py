#!/usr/bin/env python3
"""The package manifests at the repository root, checked as far as can be
done without their tools (tests/packaging/run.sh; Python 3 stdlib only).

    check.py ROOT   prints PASS/FAIL lines (tests/CONVENTIONS.md)

- library.json (PlatformIO): strict JSON; name, version, description, the
  fields PlatformIO's manifest reference lists (no unknown keys), headers
  and export.include patterns that name files of this tree, build.srcFilter
  compiling nothing (header-only), build.includeDir the header's directory.
- idf_component.yml (ESP-IDF component manager) and zephyr/module.yml: read
  with a small strict parser for the YAML they use (block mappings by
  two-space indentation, block lists, plain or double-quoted scalars; a tab,
  a flow collection, an anchor or a second document is refused), then their
  fields: known keys only, version, licence, the idf dependency, the Zephyr
  module's cmake directory and Kconfig file.
- zephyr/Kconfig: the CONFIG_WXPAY_CLOSE symbol the module's CMake file
  tests, a bool with a prompt and help.
Every version must be WXPAY_VERSION of wxpay_close.h; every licence MIT, as
LICENSE says.
"""
import json
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
failures = 0


def result(name, ok, why=""):
    global failures
    if ok:
        print("PASS " + name)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, why))


def header_version():
    with open(os.path.join(ROOT, "wxpay_close.h"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^#define WXPAY_VERSION "([0-9]+\.[0-9]+\.[0-9]+)"$', line.rstrip("\n"))
            if m:
                return m.group(1)
    return None


def source_tree():
    """The files of the tree, relative, without build output, .git and
    node_modules (symbolic links not followed)."""
    out = []
    for d, dirs, files in os.walk(ROOT):
        rel = os.path.relpath(d, ROOT)
        if rel == ".":
            dirs[:] = [x for x in dirs if x not in ("build", ".git", "node_modules")]
        out.extend(os.path.normpath(os.path.join(rel, f)) for f in files
                   if not os.path.islink(os.path.join(d, f)))
    return out


def glob_match(path, pattern):
    """Glob as the two tools read it: '*' within one path component, '**/'
    any number of directories (zero included)."""
    rx = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            rx, i = rx + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            rx, i = rx + ".*", i + 2
        elif pattern[i] == "*":
            rx, i = rx + "[^/]*", i + 1
        elif pattern[i] == "?":
            rx, i = rx + "[^/]", i + 1
        else:
            rx, i = rx + re.escape(pattern[i]), i + 1
    return re.fullmatch(rx, path) is not None


def glob_filter(paths, pattern):
    return [p for p in paths if glob_match(p, pattern)]


class YamlError(Exception):
    pass


def scalar(text, where):
    text = text.strip()
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"') or '"' in text[1:-1].replace('\\"', ""):
            raise YamlError("%s: bad double-quoted scalar %r" % (where, text))
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text[:1] in ("'", "[", "{", "&", "*", "!", "|", ">", "%", "@", "`"):
        raise YamlError("%s: unsupported YAML %r" % (where, text))
    if " #" in text:
        text = text.split(" #", 1)[0].rstrip()
    return text


def parse_yaml(path):
    """The block-style subset: returns nested dicts/lists of strings."""
    lines = []
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            raw = raw.rstrip("\n")
            where = "%s:%d" % (os.path.basename(path), no)
            if "\t" in raw:
                raise YamlError(where + ": a tab")
            if raw.strip() in ("---", "...") and lines:
                raise YamlError(where + ": a second document")
            if not raw.strip() or raw.lstrip().startswith("#") or raw.strip() == "---":
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            if indent % 2:
                raise YamlError(where + ": indentation not a multiple of two")
            lines.append((indent, raw.strip(), where))
    pos = [0]

    def block(indent):
        if pos[0] >= len(lines):
            raise YamlError("empty block")
        first_indent, first, where = lines[pos[0]]
        if first_indent != indent:
            raise YamlError(where + ": unexpected indentation")
        if first.startswith("- "):
            out = []
            while pos[0] < len(lines) and lines[pos[0]][0] == indent and lines[pos[0]][1].startswith("- "):
                _, text, where = lines[pos[0]]
                pos[0] += 1
                if ":" in text[2:] and not text[2:].lstrip().startswith('"'):
                    raise YamlError(where + ": mappings inside lists are not used here")
                out.append(scalar(text[2:], where))
            return out
        out = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent:
            _, text, where = lines[pos[0]]
            m = re.match(r"^([A-Za-z0-9_./-]+):(?: (.*))?$", text)
            if not m:
                raise YamlError(where + ": not a 'key: value' line: %r" % text)
            key, value = m.group(1), m.group(2)
            if key in out:
                raise YamlError(where + ": duplicate key " + key)
            pos[0] += 1
            if value is None or value.strip() == "":
                if pos[0] >= len(lines) or lines[pos[0]][0] <= indent:
                    raise YamlError(where + ": key %s has no value" % key)
                out[key] = block(lines[pos[0]][0])
            else:
                out[key] = scalar(value, where)
        if pos[0] < len(lines) and lines[pos[0]][0] > indent:
            raise YamlError(lines[pos[0]][2] + ": unexpected indentation")
        return out

    doc = block(0)
    if pos[0] != len(lines):
        raise YamlError(lines[pos[0]][2] + ": trailing content")
    return doc


def main():
    version = header_version()
    result("packaging_header_has_a_version", version is not None, "no WXPAY_VERSION in wxpay_close.h")
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as f:
        lic = "MIT" if f.readline().strip() == "MIT License" else None
    result("packaging_license_file_is_mit", lic == "MIT", "LICENSE does not start with 'MIT License'")

    # ---- PlatformIO library.json ----
    path = os.path.join(ROOT, "library.json")
    try:
        with open(path, encoding="utf-8") as f:
            lj = json.load(f)
        result("platformio_library_json_is_json_object", isinstance(lj, dict), "not an object")
    except (OSError, ValueError) as e:
        result("platformio_library_json_is_json_object", False, str(e))
        lj = {}
    known = {"$schema", "name", "version", "description", "keywords", "homepage", "repository",
             "authors", "license", "frameworks", "platforms", "headers", "examples",
             "dependencies", "export", "scripts", "build"}
    unknown = sorted(set(lj) - known)
    result("platformio_library_json_has_only_known_fields", not unknown, "unknown: %s" % unknown)
    name = lj.get("name", "")
    result("platformio_library_json_name_is_a_slug",
           bool(re.match(r"^[A-Za-z0-9](?:[A-Za-z0-9_.]|-(?!-))*[A-Za-z0-9]$", name)) and len(name) <= 50,
           "name %r" % name)
    result("platformio_library_json_version_is_the_header_version", lj.get("version") == version,
           "%r, header %r" % (lj.get("version"), version))
    result("platformio_library_json_license_matches_license_file", lj.get("license") == lic,
           "%r" % lj.get("license"))
    desc = lj.get("description", "")
    result("platformio_library_json_description_within_255", 0 < len(desc) <= 255, "%d chars" % len(desc))
    headers = lj.get("headers", [])
    headers = [headers] if isinstance(headers, str) else headers
    missing = [h for h in headers if not os.path.isfile(os.path.join(ROOT, h))]
    result("platformio_library_json_headers_exist", headers and not missing, "missing %s" % missing)
    build = lj.get("build", {})
    inc = os.path.join(ROOT, build.get("includeDir", "include"))
    result("platformio_library_json_include_dir_holds_the_header",
           os.path.isfile(os.path.join(inc, "wxpay_close.h")), "includeDir %r" % build.get("includeDir"))
    result("platformio_library_json_compiles_no_source_file", build.get("srcFilter") == ["-<*>"],
           "srcFilter %r (header-only: nothing to compile)" % build.get("srcFilter"))
    pats = lj.get("export", {}).get("include", [])
    tree = source_tree()
    empty = [p for p in pats if not glob_filter(tree, p)]
    result("platformio_library_json_export_patterns_match_files", pats and not empty, "match nothing: %s" % empty)
    exported = {f for p in pats for f in glob_filter(tree, p)}
    need = {"wxpay_close.h", "adapters/wxpay_mbedtls.h", "adapters/wxpay_http.h", "LICENSE"}
    result("platformio_library_json_exports_header_adapters_and_license", need <= exported,
           "not exported: %s" % sorted(need - exported))

    # ---- ESP-IDF idf_component.yml ----
    try:
        idf = parse_yaml(os.path.join(ROOT, "idf_component.yml"))
        result("esp_idf_component_yml_parses_as_strict_block_yaml", isinstance(idf, dict), "not a mapping")
    except (OSError, YamlError) as e:
        result("esp_idf_component_yml_parses_as_strict_block_yaml", False, str(e))
        idf = {}
    known = {"version", "description", "license", "url", "repository", "documentation", "issues",
             "discussion", "maintainers", "tags", "targets", "dependencies", "files", "examples",
             "repository_info"}
    unknown = sorted(set(idf) - known)
    result("esp_idf_component_yml_has_only_known_fields", not unknown, "unknown: %s" % unknown)
    result("esp_idf_component_yml_version_is_the_header_version", idf.get("version") == version,
           "%r, header %r" % (idf.get("version"), version))
    result("esp_idf_component_yml_license_matches_license_file", idf.get("license") == lic,
           "%r" % idf.get("license"))
    idf_dep = idf.get("dependencies", {}).get("idf", {})
    idf_ver = idf_dep.get("version", "") if isinstance(idf_dep, dict) else idf_dep
    result("esp_idf_component_yml_requires_esp_idf_5_or_later",
           bool(re.match(r"^>=\s*5(\.\d+)*$", idf_ver or "")), "idf version %r" % idf_ver)
    excl = idf.get("files", {}).get("exclude", [])
    shipped = [f for f in tree if not any(glob_match(f, p) for p in excl)]
    result("esp_idf_component_ships_header_adapters_and_cmake",
           {"wxpay_close.h", "adapters/wxpay_mbedtls.h", "CMakeLists.txt", "LICENSE"} <= set(shipped)
           and not any(f.startswith("tests/") for f in shipped), "files.exclude %r" % excl)

    # ---- Zephyr module ----
    try:
        mod = parse_yaml(os.path.join(ROOT, "zephyr", "module.yml"))
        result("zephyr_module_yml_parses_as_strict_block_yaml", isinstance(mod, dict), "not a mapping")
    except (OSError, YamlError) as e:
        result("zephyr_module_yml_parses_as_strict_block_yaml", False, str(e))
        mod = {}
    unknown = sorted(set(mod) - {"name", "build", "package-managers", "samples", "tests", "boards",
                                 "security", "blobs"})
    bld = mod.get("build", {}) if isinstance(mod.get("build"), dict) else {}
    unknown += sorted("build." + k for k in set(bld) - {"cmake", "kconfig", "cmake-ext", "kconfig-ext",
                                                        "depends", "settings", "sysbuild-cmake"})
    result("zephyr_module_yml_has_only_known_fields", not unknown, "unknown: %s" % unknown)
    result("zephyr_module_yml_names_the_module", mod.get("name") == "wxpay_close", "name %r" % mod.get("name"))
    cm = os.path.join(ROOT, bld.get("cmake", "?"), "CMakeLists.txt")
    result("zephyr_module_cmake_directory_has_cmakelists", os.path.isfile(cm), "no %s" % cm)
    kc = os.path.join(ROOT, bld.get("kconfig", "?"))
    result("zephyr_module_kconfig_file_exists", os.path.isfile(kc), "no %s" % kc)
    kconf = open(kc, encoding="utf-8").read() if os.path.isfile(kc) else ""
    cmake = open(cm, encoding="utf-8").read() if os.path.isfile(cm) else ""
    m = re.search(r"^config (WXPAY_CLOSE)\n\tbool \"[^\"]+\"\n\thelp\n(\t  .+\n)+", kconf, re.M)
    result("zephyr_kconfig_defines_wxpay_close_bool_with_prompt_and_help", m is not None, "no such entry")
    result("zephyr_cmake_tests_the_kconfig_symbol", "if(CONFIG_WXPAY_CLOSE)" in cmake,
           "the module's CMakeLists.txt does not test CONFIG_WXPAY_CLOSE")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
