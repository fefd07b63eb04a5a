"""Roles and the ward store's own check (issue "Ward server"): a signed-in viewer,
clinician or admin may change exactly what their role allows, and the audit log names
them by e-mail and sign-in id. The workstation and the command line (a plain name)
work as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crs.store import open_store
from crs.store.access import AccessDenied, Identity
from crs.store.roles import AccessConfigError, access_config, grant, read_allow_list

COURSE = b"""patient_id,time,temp_c,sbp_mmhg
A,2024-03-01T08:00,38.5,120
A,2024-03-01T12:00,39.0,118
B,2024-03-01T09:00,37.2,82
"""
VIEWER = Identity("sub-v", "vera@hospital.example", "viewer")
CLINICIAN = Identity("sub-c", "carl@hospital.example", "clinician")
OTHER_CLINICIAN = Identity("sub-o", "olga@hospital.example", "clinician")
ADMIN = Identity("sub-a", "ada@hospital.example", "admin")
SPAN = ("2024-03-01T07:00", "2024-03-01T13:00")


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'ward.sqlite3'}")
    store.import_file(COURSE, name="course.csv", author="set-up")
    yield store
    store.close()


def test_the_audit_names_a_signed_in_person_by_e_mail_and_sign_in_id(store) -> None:
    number = store.attribute("A", "fever", *SPAN, "line infection", CLINICIAN)
    audit = store.audit_log("A")
    assert audit["author"].iloc[-1] == "carl@hospital.example (sign-in id sub-c)"
    assert store.attributions(["A"])["author"].tolist() == [CLINICIAN.author]
    assert number == store.attributions(["A"])["attribution_id"].iloc[0]


def test_a_viewer_may_change_nothing_and_nothing_is_written(store) -> None:
    before = len(store.audit_log())
    with pytest.raises(AccessDenied, match="viewer and may not mark a finding as not CRS"):
        store.attribute("A", "fever", *SPAN, "forged", VIEWER)
    with pytest.raises(AccessDenied, match="may not archive a patient"):
        store.archive("A", VIEWER)
    with pytest.raises(AccessDenied, match="may not import exports"):
        store.import_file(COURSE + b"A,2024-03-02T08:00,37.0,120\n", name="x.csv", author=VIEWER)
    assert len(store.audit_log()) == before
    assert store.attributions().empty


def test_a_clinician_withdraws_their_own_attribution_but_not_a_colleagues(store) -> None:
    own = store.attribute("A", "fever", *SPAN, "line infection", CLINICIAN)
    theirs = store.attribute("A", "hypotension", *SPAN, "bleeding", OTHER_CLINICIAN)
    with pytest.raises(AccessDenied, match="recorded by olga@hospital.example"):
        store.withdraw(theirs, CLINICIAN, "not mine")
    store.withdraw(own, CLINICIAN, "cultures negative")
    active = store.attributions(["A"])
    assert active["attribution_id"].tolist() == [theirs]


def test_an_admin_withdraws_anyones_attribution_and_restores_a_patient(store) -> None:
    theirs = store.attribute("A", "fever", *SPAN, "line infection", CLINICIAN)
    store.withdraw(theirs, ADMIN, "entered for the wrong patient")
    store.archive("B", CLINICIAN, "discharged")
    with pytest.raises(AccessDenied, match="bring an archived patient back"):
        store.restore("B", CLINICIAN)
    store.restore("B", ADMIN, "readmitted")
    log = store.audit_log()
    assert log["author"].tolist()[-3:] == [ADMIN.author, CLINICIAN.author, ADMIN.author]


def test_only_an_admin_imports_and_the_import_is_recorded_under_their_name(store) -> None:
    more = COURSE + b"A,2024-03-02T08:00,37.0,120\n"
    with pytest.raises(AccessDenied, match="clinician and may not import exports"):
        store.import_file(more, name="more.csv", author=CLINICIAN)
    result = store.import_file(more, name="more.csv", author=ADMIN)
    assert result.points_added == 1
    assert store.imports()["author"].iloc[-1] == ADMIN.author


def test_a_plain_name_from_the_workstation_or_command_line_is_recorded_as_given(store) -> None:
    number = store.attribute("A", "fever", *SPAN, "line infection", "Dr Lee")
    store.withdraw(number, "Dr Other", "changed my mind")
    assert store.audit_log()["author"].tolist()[-2:] == ["Dr Lee", "Dr Other"]


# -- roles from the ID token's claims or the allow list ---------------------------------


def test_a_claim_value_grants_its_role_and_the_highest_of_several_wins() -> None:
    config = access_config({"role_claim": "roles"})
    assert grant({"sub": "1", "roles": ["viewer"]}, config).role == "viewer"
    assert grant({"sub": "1", "roles": ["viewer", "admin", "clinician"]}, config).role == "admin"
    assert grant({"sub": "1", "roles": "clinician"}, config).role == "clinician"


def test_group_values_map_to_roles_and_a_dotted_claim_reaches_nested_roles() -> None:
    entra = access_config(
        {"role_claim": "groups", "role_values": {"clinician": ["9f1c-group-object-id"]}}
    )
    assert grant({"sub": "1", "groups": ["9f1c-group-object-id"]}, entra).role == "clinician"
    assert grant({"sub": "1", "groups": ["clinician"]}, entra).role is None
    keycloak = access_config({"role_claim": "realm_access.roles"})
    claims = {"sub": "1", "realm_access": {"roles": ["offline_access", "viewer"]}}
    assert grant(claims, keycloak).role == "viewer"


def test_a_token_without_the_role_claim_means_no_access_stated_plainly() -> None:
    config = access_config({"role_claim": "roles"})
    granted = grant({"sub": "1", "email": "nora@hospital.example"}, config)
    assert granted.role is None
    assert granted.reason.startswith(
        "Your sign-in (nora@hospital.example) did not include the 'roles' claim that names "
        "your role: no access."
    )
    other = grant({"sub": "1", "email": "x@h.example", "roles": ["nurse"]}, config)
    assert "has none of the dashboard's roles (viewer, clinician, admin): no access" in (
        other.reason
    )


def test_the_allow_list_grants_by_verified_e_mail_only(tmp_path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "email,role\n# ward 7\nAda.Admin@Hospital.example, admin\nvera@h.example,viewer\n"
    )
    config = access_config({"role_claim": "", "allow_list": str(path)})
    assert grant({"sub": "1", "email": "ada.admin@hospital.example"}, config).role == "admin"
    unverified = {"sub": "1", "email": "vera@h.example", "email_verified": False}
    assert grant(unverified, config).role is None
    assert "has not verified" in grant(unverified, config).reason
    stranger = grant({"sub": "1", "email": "eve@h.example"}, config)
    assert stranger.reason.startswith(
        "Your sign-in (eve@h.example) is not on the dashboard's list of users: no access."
    )


def test_bad_access_settings_are_one_clear_line(tmp_path) -> None:
    bad_line = tmp_path / "users.csv"
    bad_line.write_text("ada@h.example,superuser\n")
    cases = {
        "no source of roles": {"role_claim": ""},
        "line 1, is not 'e-mail,role'": {"allow_list": str(bad_line)},
        "cannot be read": {"allow_list": str(tmp_path / "missing.csv")},
        "unknown roles nurse": {"role_values": {"nurse": ["x"]}},
        "unknown settings role_claims": {"role_claims": "roles"},
        "session_hours must be a number": {"session_hours": 0},
    }
    for expected, section in cases.items():
        with pytest.raises(AccessConfigError, match=expected) as error:
            access_config(section)
        assert "\n" not in str(error.value)


def test_an_allow_list_reads_a_header_comments_and_mixed_case(tmp_path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("\ufeffemail,role\n\n# admins\nA@B.example,ADMIN\n", encoding="utf-8")
    assert read_allow_list(path) == {"a@b.example": "admin"}
