"""Long work run by a queue worker (survey_app/jobs): its owner, progress, result and file."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(db.Model):
    """One piece of long work (a label PDF, a workbook, an import) asked for by one user.

    `id` is random and public (it is in the job page's URL); the file lives in JOB_FILES_FOLDER
    under the id, `file_name` is the name the download is offered under.
    """

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict | None] = mapped_column(JSON)  # what the result page shows (an import's counts)
    file_name: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid of the worker running it
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    __table_args__ = (Index("ix_jobs_owner_id_created_at", "owner_id", "created_at"),)

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will happen to it."""
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done)."""
        if self.state == DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
