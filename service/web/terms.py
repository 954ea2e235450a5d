"""The names of roles, states and decisions as the pages show them (translated per language).

The values are the API's (``identification``, ``queued``...); these are the words an
examiner or a police officer reads for them.
"""

from service.web.i18n import N_

TERMS: dict[str, str] = {
    # roles
    "lab_submitter": N_("lab submitter"),
    "examiner": N_("firearms examiner"),
    "analyst": N_("analyst"),
    "investigator": N_("investigator"),
    "prosecutor": N_("prosecutor"),
    "auditor": N_("auditor"),
    "admin": N_("administrator"),
    "partner": N_("partner jurisdiction"),
    # examiner conclusions (AFTE range of conclusions)
    "identification": N_("identification"),
    "elimination": N_("elimination"),
    "inconclusive": N_("inconclusive"),
    "unsuitable": N_("unsuitable for comparison"),
    # engine decisions
    "same_source": N_("same source"),
    "different_source": N_("different source"),
    "match": N_("match"),
    # correlation runs
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
    # leads
    "proposed": N_("proposed"),
    "issued": N_("issued"),
    "confirmed": N_("confirmed"),
    "refuted": N_("refuted"),
    "withdrawn": N_("withdrawn"),
    # disclosures
    "requested": N_("requested"),
    "approved": N_("approved"),
    "refused": N_("refused"),
    # events and exhibits
    "shooting": N_("shooting"),
    "seizure": N_("seizure"),
    "test_fire": N_("test fire"),
    "cartridge_case": N_("cartridge case"),
    # location precision
    "exact": N_("exact"),
    "street": N_("street"),
    "district": N_("district"),
    "city": N_("city"),
    "region": N_("region"),
    "unknown": N_("unknown"),
    # scanned regions
    "breech_face": N_("breech face"),
    "firing_pin": N_("firing pin"),
    "full_head": N_("full head"),
    # case status
    "open": N_("open"),
    "closed": N_("closed"),
    # firearm types (the firearm products)
    "pistol": N_("pistol"),
    "revolver": N_("revolver"),
    "rifle": N_("rifle"),
    "shotgun": N_("shotgun"),
    "submachine_gun": N_("submachine gun"),
    "converted_alarm": N_("converted alarm or blank-firing gun"),
    "reactivated": N_("reactivated firearm"),
    "privately_made": N_("privately made firearm"),
    "3d_printed": N_("3D-printed firearm"),
    # a firearm's own history on the life of a gun (and its life-cycle step on the case page)
    "firearm_recovered": N_("firearm recovered"),
    "firearm_submitted": N_("firearm submitted to the laboratory"),
    "firearm_examined": N_("firearm examined"),
    "firearm_test_fired": N_("firearm test-fired"),
    "firearm_stored": N_("firearm stored"),
    "firearm_returned": N_("firearm returned"),
    "firearm_destroyed": N_("firearm destroyed"),
    "firearm_linked": N_("firearm linked to a case by a hit"),
    "trace_sent": N_("trace request sent"),
    "trace_answered": N_("trace request answered"),
    "trace_no_record": N_("trace request: no record held"),
    "stolen_reported": N_("reported lost or stolen"),
    "stolen_alert": N_("lost-and-stolen register match"),
    "stolen_alert_acknowledged": N_("lost-and-stolen alert acknowledged"),
    # trace requests: their state and whom they go to
    "sent": N_("sent"),
    "answered": N_("answered"),
    "no_record": N_("no record held"),
    "national_registry": N_("national firearms registry"),
    "manufacturer": N_("manufacturer"),
    "importer": N_("importer"),
    "partner_jurisdiction": N_("partner jurisdiction"),
    # where a trafficking route's origin comes from
    "last_legal_owner": N_("last legal owner's country"),
    "manufacture": N_("country of manufacture"),
}
