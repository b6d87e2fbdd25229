"""Daily rollups kept next to the history they summarise (issue 14: long dashboard periods)."""

from sqlalchemy import Column, Date, Float, Integer, String

from models.base import Model


class StatusDayRollup(Model):
    """Time spent in a status, summed per (day entered, day left, status): one row adds up
    every pair of consecutive status changes of a request (by id) whose first change entered
    `status` on `entered_day` and whose second left it on `left_day` (days in the bureau's
    zone when written; `flask replan rebuild-rollups` recomputes them). Kept by app.rollups."""

    __tablename__ = "status_day_rollup"
    entered_day = Column(Date, primary_key=True)
    left_day = Column(Date, primary_key=True)
    status = Column(String(20), primary_key=True)
    seconds = Column(Float, nullable=False, default=0.0)
    pairs = Column(Integer, nullable=False, default=0)
