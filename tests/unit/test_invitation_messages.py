"""The two invitation messages, in French (the default) and in English (`serve --language en`)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ortif_server.invitation_messages import messages
from ortif_server.models import Community, Dossier, Establishment, Invitation, User

UNTIL = datetime(2027, 2, 28, 9, tzinfo=timezone.utc)


def _people(community: bool) -> tuple[Invitation, Dossier, User]:
    radiology = Community(name="Radiologie", establishment=Establishment(name="CH Ville-Évrard"))
    inviter = User(last_name="Durand", first_name="Marie", communities=[radiology])
    dossier = Dossier(owner=inviter, community=radiology if community else None)
    row = Invitation(
        last_name="NOËL", first_name="Chloé", email="chloe@example.org", phone="+33612345678",
        link_channel="email", code_channel="sms", expires_at=UNTIL,
    )  # fmt: skip
    return row, dossier, inviter


@pytest.mark.parametrize("community", [True, False])
def test_french_by_default_names_the_inviter_and_the_establishment(community: bool) -> None:
    row, dossier, inviter = _people(community)
    link, code = messages(row, dossier, inviter, ("https://p.example/guest/T0K", "K7QX2MPA"), "fr")
    assert (link.channel, link.to, code.channel, code.to) == (
        "email", "chloe@example.org", "sms", "+33612345678",
    )  # fmt: skip
    assert link.text.startswith("Bonjour Chloé NOËL,")
    assert "Marie DURAND (CH Ville-Évrard) vous invite" in link.text
    assert "voir les images et ajouter une étape" in link.text
    assert "jusqu'au 28/02/2027" in link.text and "https://p.example/guest/T0K\n" in link.text
    assert "K7QX2MPA" not in link.text
    assert code.text == "Votre code d'accès ortif : K7QX2MPA"


def test_in_english() -> None:
    row, dossier, inviter = _people(True)
    link, code = messages(row, dossier, inviter, ("https://p.example/guest/T0K", "K7QX2MPA"), "en")
    assert link.subject == "ortif invitation"
    assert link.text.startswith("Hello Chloé NOËL,\n\nMarie DURAND (CH Ville-Évrard) invites you")
    assert "until 2027-02-28" in link.text
    assert code.text == "Your ortif access code: K7QX2MPA"
