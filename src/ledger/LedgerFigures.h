#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acd {

class LedgerStore;

/// The newest cycle, as /health reports it.
struct CycleSummary
{
    std::int64_t id = 0;
    std::string status;
    std::string startedAt;
    std::optional<std::string> endedAt;
    std::optional<std::string> error;
    std::int64_t cartsSeen = 0;
    std::int64_t remindersSent = 0;
};

/// A count under one or two labels (provider and result, a skip's reason, a cycle's status).
struct LabelledCount
{
    std::string label;
    std::string secondLabel;
    std::int64_t count = 0;
};

/// What /metrics exposes. Each figure is one indexed read or a handful of rows: the counts by
/// status come from notification_counts, kept as notifications are written (migration 0008),
/// never from a scan of the history.
struct LedgerFigures
{
    std::vector<LabelledCount> cyclesByStatus;    // label: status
    std::int64_t cartsSeen = 0;                   // over all cycles
    std::vector<LabelledCount> remindersByResult; // label: provider, secondLabel: status
    std::int64_t remindersUncertain = 0;          // over all cycles, resent ones included
    std::vector<LabelledCount> skipsByReason;     // label: reason
    std::optional<std::string> lastSuccessAt;     // end of the last completed cycle
    std::int64_t optOuts = 0;
    std::int64_t consents = 0;
    std::int64_t outboxRows = 0;
};

std::optional<CycleSummary> lastCycle(LedgerStore& ledger);
std::optional<std::string> lastSuccessAt(LedgerStore& ledger);
LedgerFigures ledgerFigures(LedgerStore& ledger);

} // namespace acd
