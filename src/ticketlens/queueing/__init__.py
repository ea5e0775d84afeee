"""The queueing engine the generated desk and the simulator share: tickets queue per priority for
an on-duty technician of their group (arrays in, arrays out; no workspace). docs/generate.md
*Queueing* says how it is modelled, why it is our own compiled loop, and how it is validated."""

from ticketlens.queueing.engine import (
    Carried,
    Outcome,
    Pieces,
    QueueState,
    Servers,
    Tickets,
    run,
)

__all__ = ["Carried", "Outcome", "Pieces", "QueueState", "Servers", "Tickets", "run"]
