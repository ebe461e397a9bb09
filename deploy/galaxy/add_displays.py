#!/usr/bin/env python3
"""Adds igv-relay's display applications to a Galaxy datatypes_conf.xml.

    add_displays.py DATATYPES_CONF DISPLAY_DIR [--snippet deploy/galaxy/datatypes_conf.xml]

Reads the <display> lines from the snippet (deploy/galaxy/datatypes_conf.xml),
points their `file` at DISPLAY_DIR (an absolute directory holding interval.xml,
vcf.xml, ...), and puts each inside the <datatype> with the same extension in
DATATYPES_CONF, which is rewritten in place. Running it twice changes nothing.
Only the standard library is used, so Galaxy's own Python runs it.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datatypes_conf")
    parser.add_argument("display_dir")
    parser.add_argument("--snippet", default=os.path.join(here, "datatypes_conf.xml"))
    args = parser.parse_args()
    display_dir = os.path.abspath(args.display_dir)

    snippet = ET.parse(args.snippet).getroot()
    wanted = []  # (extension, file, inherit)
    for datatype in snippet.iter("datatype"):
        for display in datatype.findall("display"):
            name = os.path.basename(display.get("file"))
            wanted.append((datatype.get("extension"), os.path.join(display_dir, name), display.get("inherit")))

    tree = ET.parse(args.datatypes_conf)
    by_ext = {d.get("extension"): d for d in tree.getroot().iter("datatype")}
    changed = False
    for ext, path, inherit in wanted:
        datatype = by_ext.get(ext)
        if datatype is None:
            sys.exit(f"add_displays: {args.datatypes_conf} has no <datatype extension=\"{ext}\">")
        if not os.path.isfile(path):
            sys.exit(f"add_displays: {path} does not exist; copy the display XMLs there first")
        if any(d.get("file") == path for d in datatype.findall("display")):
            continue
        display = ET.SubElement(datatype, "display", {"file": path})
        if inherit:
            display.set("inherit", inherit)
        changed = True
        print(f"add_displays: {ext}: {path}")
    if changed:
        tree.write(args.datatypes_conf, encoding="utf-8", xml_declaration=True)
    else:
        print("add_displays: already present, nothing to do")


if __name__ == "__main__":
    main()
