"""The on-call person's shift over the API: checklists, ticks and "send a test page to yourself".

``GET /api/v1/me/shift`` — the schedules the caller is on call on now, each with its checklist
(start / during / end) and this shift's ticks; ``PUT``/``DELETE
/api/v1/me/shift/{schedule}/ticks/{item}`` tick and untick (409 when not on call there).
``POST /api/v1/me/test-page`` answers 202 ``{"id"}``; ``GET /api/v1/me/test-pages/{id}`` the
result per contact method (``pending`` / ``delivered`` / ``failed`` with the error). A second
test page within a minute is a 409 saying when to try again.
``GET|PUT|DELETE /api/v1/schedules/{slug}/checklist`` read, declare or reset (to the seed's
default) a schedule's checklist; changing it needs the manager role on a team it pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from plantao.api.deps import Anyone, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import READING, WRITING, Need
from plantao.errors import PermissionDenied
from plantao.oncall import schedules, self_test_pages, shift_checklists
from plantao.oncall.service import may_act, schedule_team_ids
from plantao.oncall.shift_checklists import MyShift

router = APIRouter(prefix="/api/v1", tags=["on-call shift"], responses=problem_responses())

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
ItemKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    phase: Literal["start", "during", "end"]
    en: str = Field(min_length=1, max_length=300)
    pt_br: str = Field(alias="pt-BR", min_length=1, max_length=300)


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)


class ChecklistOut(BaseModel):
    schedule: str
    declared: bool
    items: list[dict[str, str]]


class ShiftItemOut(BaseModel):
    key: str
    phase: str
    en: str
    pt_br: str = Field(serialization_alias="pt-BR")
    ticked_at: datetime | None


class ShiftOut(BaseModel):
    schedule: str
    schedule_name: str
    start: datetime
    end: datetime | None
    declared: bool
    items: list[ShiftItemOut]


class MyShiftsOut(BaseModel):
    shifts: list[ShiftOut]


class TestPageCreated(BaseModel):
    id: int


class MethodOut(BaseModel):
    contact_method: str
    channel: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    error: str | None
    sent_at: datetime | None


class TestPageOut(BaseModel):
    id: int
    user: str
    requested_at: datetime
    status: Literal["pending", "delivered", "failed"]
    methods: list[MethodOut]


def shift_out(shift: MyShift) -> ShiftOut:
    return ShiftOut(
        schedule=shift.schedule,
        schedule_name=shift.schedule_name,
        start=shift.start,
        end=shift.end,
        declared=shift.declared,
        items=[
            ShiftItemOut(
                key=i["key"],
                phase=i["phase"],
                en=i["en"],
                pt_br=i["pt-BR"],
                ticked_at=shift.ticked.get(i["key"]),
            )
            for i in shift.items
        ],
    )


def test_page_out(result: self_test_pages.TestPageResult) -> TestPageOut:
    return TestPageOut(
        id=result.id,
        user=result.user,
        requested_at=result.requested_at,
        status=result.status,
        methods=[
            MethodOut(
                contact_method=m.contact_method,
                channel=m.channel,
                status=m.status,
                attempts=m.attempts,
                error=m.error,
                sent_at=m.sent_at,
            )
            for m in result.methods
        ],
    )


@router.get("/me/shift", response_model=MyShiftsOut, response_model_by_alias=True)
def my_shift(session: SessionDep, who: Anyone) -> MyShiftsOut:
    """The schedules you are on call on now, each with its checklist and this shift's ticks."""
    who.access.require_scope(READING, "reading your shift")
    return MyShiftsOut(
        shifts=[shift_out(s) for s in shift_checklists.my_shifts(session, who.handle)]
    )


@router.put("/me/shift/{schedule}/ticks/{item}", response_model=ShiftOut)
def tick(schedule: Slug, item: ItemKey, session: SessionDep, who: Anyone) -> ShiftOut:
    """Tick an item of your current shift's checklist (again: no change)."""
    who.access.require_scope(WRITING, "ticking your checklist")
    shift = shift_checklists.tick(session, schedule, item, user_id=who.user_id, handle=who.handle)
    session.commit()
    return shift_out(shift)


@router.delete("/me/shift/{schedule}/ticks/{item}", response_model=ShiftOut)
def untick(schedule: Slug, item: ItemKey, session: SessionDep, who: Anyone) -> ShiftOut:
    """Take back a tick of your current shift's checklist."""
    who.access.require_scope(WRITING, "ticking your checklist")
    shift = shift_checklists.untick(session, schedule, item, handle=who.handle)
    session.commit()
    return shift_out(shift)


@router.post("/me/test-page", response_model=TestPageCreated, status_code=202)
def send_test_page(session: SessionDep, who: Anyone) -> TestPageCreated:
    """Send a test page to every one of your contact methods; follow it with
    ``GET /api/v1/me/test-pages/{id}``. One a minute (409 with when to try again)."""
    who.access.require_scope(WRITING, "sending a test page")
    page_id = self_test_pages.send(
        session, who.user_id, requested_by=who.handle, language=who.language
    )
    session.commit()
    return TestPageCreated(id=page_id)


@router.get("/me/test-pages/{page_id}", response_model=TestPageOut)
def test_page(page_id: Id, session: SessionDep, who: Anyone) -> TestPageOut:
    """Your test page's result per contact method: pending, delivered, or failed with why."""
    who.access.require_scope(READING, "reading your test page")
    return test_page_out(self_test_pages.result(session, page_id, user_id=who.user_id))


@router.get("/schedules/{slug}/checklist", response_model=ChecklistOut)
def get_checklist(slug: Slug, session: SessionDep, who: Viewer) -> ChecklistOut:
    """The schedule's shift checklist (``declared: false``: the default from seed 003 §11)."""
    row = schedules.get(session, slug)
    items, declared = shift_checklists.items_for(session, row.id)
    return ChecklistOut(schedule=slug, declared=declared, items=items)


def _require_manager(session: Session, who: Principal, slug: str) -> None:
    schedules.get(session, slug)  # 404 before 403: the slug is not a secret
    if not may_act(who, Need.MANAGE, schedule_team_ids(session, slug)):
        raise PermissionDenied("this needs the manager role on a team this schedule pages")


@router.put("/schedules/{slug}/checklist", response_model=ChecklistOut)
def put_checklist(slug: Slug, body: ChecklistIn, session: SessionDep, who: Viewer) -> ChecklistOut:
    """Declare the schedule's checklist (replaces the default whole)."""
    _require_manager(session, who, slug)
    items = [i.model_dump(by_alias=True) for i in body.items]
    shift_checklists.put(session, slug, items)
    session.commit()
    return get_checklist(slug, session, who)


@router.delete("/schedules/{slug}/checklist", response_model=ChecklistOut)
def reset_checklist(slug: Slug, session: SessionDep, who: Viewer) -> ChecklistOut:
    """Go back to the default checklist."""
    _require_manager(session, who, slug)
    shift_checklists.reset(session, slug)
    session.commit()
    return get_checklist(slug, session, who)
