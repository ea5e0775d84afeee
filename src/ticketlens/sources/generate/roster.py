"""The desk's people as arrays: tiers, skills, personalities, and how the desk grows.

One *team* is the configured roster. When the requested volume is more than one team handles
(``[workload] tickets_per_team_day``), the desk has several teams: team 0 is the roster as
configured, every further team repeats its personalities (tier, skills, escalation and mistake
factors, team) under generated names. A technician's global id is ``team * size + member``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ticketlens.core.schema import CATEGORIES, TIERS
from ticketlens.sources.generate.config import DeskConfig

FIRST_NAMES = (
    "Avery", "Blake", "Cameron", "Dana", "Elliot", "Frankie", "Gabriel", "Harper", "Imani", "Jesse",
    "Kai", "Logan", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sofia", "Tariq", "Uma",
    "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Chen", "Diego", "Elena", "Farah",
    "Hugo", "Ines", "Jonas", "Kenji", "Leila", "Mateo", "Nadia", "Omar", "Paula", "Rafael",
    "Sana", "Tomas", "Valentina", "Wesley", "Yara", "Aisha", "Ben", "Clara",
)
LAST_NAMES = (
    "Garcia", "Nguyen", "Smith", "Patel", "Kowalski", "Okafor", "Rossi", "Schmidt", "Silva",
    "Tanaka", "Haddad", "Murphy", "Jensen", "Dubois", "Novak", "Ibrahim", "Kim", "Lopez", "Moreau",
    "Fischer", "Costa", "Ahmed", "Walsh", "Yilmaz", "Berg", "Singh", "Romero", "Hughes", "Sato",
    "Mensah", "Park", "Ortiz", "Larsen", "Khan", "Bianchi", "Reyes", "Cohen", "Mazur", "Varga",
    "Alvarez", "Lindqvist", "Osei", "Petrov", "Quinlan", "Russo", "Sharma", "Torres", "Ueda",
    "Vidal", "Wright", "Xu", "Young", "Zimmerman",
)


@dataclass(frozen=True)
class Roster:
    names: tuple[str, ...]          # every technician, by global id
    size: int                        # people per team
    teams: int
    tier: np.ndarray                 # (size,) index into TIERS
    team_name: tuple[str, ...]       # (size,) assigned_team of each member
    proficiency: np.ndarray          # (size, categories) in (0, 1]
    skilled: np.ndarray              # (size, categories) bool: category listed in skills
    escalation_factor: np.ndarray    # (size,)
    mistake_factor: np.ndarray       # (size,)
    ramp_up: np.ndarray              # (size,) work-time multiplier for inexperience (>= 1)
    capacity: np.ndarray             # (size,) concurrent open tickets before balancing
    members_by_tier: tuple[np.ndarray, ...]  # member indices of each tier, in roster order
    best_l2: np.ndarray              # (categories,) member index of the most skilled L2
    second_l2: np.ndarray            # (categories,) the next most skilled L2 (ping-pong partner)
    best_l3: np.ndarray              # (categories,) member index of the most skilled L3
    unskilled_l2: np.ndarray         # (categories, L2s) L2 members without the skill, padded
    unskilled_l2_count: np.ndarray   # (categories,) how many of those there are

    def member(self, tech: np.ndarray) -> np.ndarray:
        return tech % self.size


def team_count(config: DeskConfig) -> int:
    days = (config.window.end - config.window.start).days + 1
    per_day = config.window.tickets / days
    return max(1, math.ceil(per_day / config.workload.tickets_per_team_day - 1e-9))


def build_roster(config: DeskConfig) -> Roster:
    techs = config.technicians
    size = len(techs)
    teams = team_count(config)
    tier = np.array([TIERS.index(t.tier) for t in techs], dtype=np.int8)
    proficiency = np.full((size, len(CATEGORIES)), config.unskilled_proficiency)
    skilled = np.zeros((size, len(CATEGORIES)), dtype=bool)
    for m, tech in enumerate(techs):
        for category, level in tech.skills:
            c = CATEGORIES.index(category)
            proficiency[m, c] = level
            skilled[m, c] = True
    by_tier = tuple(np.flatnonzero(tier == i) for i in range(len(TIERS)))

    def ranked(members: np.ndarray) -> np.ndarray:
        # Rank by proficiency, then roster order: stable, so the result never depends on ties.
        order = np.argsort(-proficiency[members], axis=0, kind="stable")
        return members[order]  # (len(members), categories)

    l2_rank = ranked(by_tier[1])
    l3_rank = ranked(by_tier[2])
    second = l2_rank[1] if len(by_tier[1]) > 1 else l2_rank[0]
    # Where a misrouted escalation can land: the L2s without the category's skill.
    l2 = by_tier[1]
    unskilled_l2 = np.zeros((len(CATEGORIES), len(l2)), dtype=np.int64)
    unskilled_count = np.zeros(len(CATEGORIES), dtype=np.int64)
    for c in range(len(CATEGORIES)):
        lacking = l2[~skilled[l2, c]]
        unskilled_l2[c, : len(lacking)] = lacking
        unskilled_count[c] = len(lacking)
    return Roster(
        names=_names(techs, teams),
        size=size,
        teams=teams,
        tier=tier,
        team_name=tuple(t.team for t in techs),
        proficiency=proficiency,
        skilled=skilled,
        escalation_factor=np.array([t.escalation_factor for t in techs]),
        mistake_factor=np.array([t.mistake_factor for t in techs]),
        ramp_up=np.array([1 + config.new_hire_slowdown
                          * max(0.0, 1 - t.experience_years / config.ramp_up_years)
                          for t in techs]),
        capacity=np.array([config.workload.capacity[TIERS.index(t.tier)] for t in techs]),
        members_by_tier=by_tier,
        best_l2=l2_rank[0],
        second_l2=second,
        best_l3=l3_rank[0],
        unskilled_l2=unskilled_l2,
        unskilled_l2_count=unskilled_count,
    )


def _names(techs: tuple, teams: int) -> tuple[str, ...]:
    """Configured names for team 0, then generated unique names for the extra teams.

    The pairing (k mod 50, (k div 50 * 51 + k mod 50) mod 53) visits every first/last pair once
    (51 and 53 are coprime), so names repeat only after 2,650 people; from then on a number is
    appended.
    """
    taken = {t.name for t in techs}
    names = [t.name for t in techs]
    needed = len(techs) * (teams - 1)
    k = 0
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    while len(names) < len(techs) + needed:
        a = k % len(FIRST_NAMES)
        q = (k // len(FIRST_NAMES)) % len(LAST_NAMES)
        b = (q * (len(FIRST_NAMES) + 1) + a) % len(LAST_NAMES)
        name = f"{FIRST_NAMES[a]} {LAST_NAMES[b]}"
        if k >= combos:
            name += f" {k // combos + 1}"
        k += 1
        if name not in taken:
            taken.add(name)
            names.append(name)
    return tuple(names)
