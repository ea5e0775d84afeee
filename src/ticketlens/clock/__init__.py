"""SLA clocks: policies, business calendars and the per-event clock kernel (arrays in, arrays out; no workspace)."""
