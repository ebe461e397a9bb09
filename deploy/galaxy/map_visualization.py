#!/usr/bin/env python3
"""Makes a visualization the default view of datatypes in a Galaxy datatypes_conf.xml.

    map_visualization.py DATATYPES_CONF PLUGIN EXTENSION [EXTENSION ...]

Galaxy 25+ reads a <visualization plugin="PLUGIN"/> inside a <datatype> as that
datatype's preferred visualization (`visualization_mappings` in
galaxy/datatypes/registry.py; `GET /api/datatypes/EXT/visualizations` shows it).
This puts one into the <datatype> of each EXTENSION (replacing another plugin's),
rewriting DATATYPES_CONF in place. Running it twice changes nothing. Only the
standard library is used, so Galaxy's own Python runs it.
"""
import argparse
import sys
import xml.etree.ElementTree as ET


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datatypes_conf")
    parser.add_argument("plugin")
    parser.add_argument("extensions", nargs="+")
    args = parser.parse_args()

    tree = ET.parse(args.datatypes_conf)
    by_ext = {d.get("extension"): d for d in tree.getroot().iter("datatype")}
    changed = False
    for ext in args.extensions:
        datatype = by_ext.get(ext)
        if datatype is None:
            sys.exit(f"map_visualization: {args.datatypes_conf} has no <datatype extension=\"{ext}\">")
        present = datatype.findall("visualization")
        if [v.get("plugin") for v in present] == [args.plugin]:
            continue
        for v in present:
            datatype.remove(v)
        ET.SubElement(datatype, "visualization", {"plugin": args.plugin})
        changed = True
        print(f"map_visualization: {ext} -> {args.plugin}")
    if changed:
        tree.write(args.datatypes_conf, encoding="utf-8", xml_declaration=True)
    else:
        print("map_visualization: already present, nothing to do")


if __name__ == "__main__":
    main()
