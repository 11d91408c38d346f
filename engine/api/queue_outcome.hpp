// What the folder queue (queue.cpp) and the shared queue (shared_queue.cpp) do alike with a
// job's run once it has ended, so that an operator's log reads the same whichever queue ran
// it. Private to engine/api.
#pragma once

#include <string>

#include "api/queue.hpp"
#include "ops/child.hpp"

namespace fw::api {

// Adds the run's outcome to `result` and logs queue_job_end (info when done, error otherwise):
// JSON fields queue_job, state, exit_code, error, seconds; text "queue: NAME STATE (exit N)",
// then ": ERROR" when the child said why.
void record_outcome(QueueResult& result, const std::string& job, const ops::ChildResult& child,
                    QueueJobState state);

// result.done and result.failed, counted from its outcomes.
void count_outcomes(QueueResult& result);

}  // namespace fw::api
