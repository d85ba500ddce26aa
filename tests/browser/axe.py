"""axe-core's serious and critical findings on a page as it is, for the browser walks."""
SERIOUS = ("serious", "critical")


def serious_findings(page, axe_js):
    """Each serious or critical violation as a line (its id, impact and up to three targets);
    a run that checked nothing is a finding too (axe did not load or the page was empty)."""
    page.add_script_tag(path=axe_js)
    results = page.evaluate("async () => { const r = await axe.run(document); "
                            "return {violations: r.violations, passes: r.passes.length}; }")
    found = [] if results["passes"] else ["axe checked nothing"]
    for violation in results["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"axe {violation['id']} ({violation['impact']}) {targets}")
    return found
