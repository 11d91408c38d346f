// Missing glyphs are found before anything is exposed. A character no font of the job's set
// can draw would film as a tofu box or `.notdef`, and film cannot be corrected, so every
// string that will be drawn is checked against the font chain when the job is prepared (and
// by `filmwriter plan`): the job's and each document's own strings before planning, then
// every filled target template, substitution target, fiche header and image address of the
// plan. Errors name the code point, the string, the document and the job key or template.
#pragma once

#include <memory>
#include <vector>

#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "model/job.hpp"
#include "text/text.hpp"

namespace fw {

// The job's font set (`fonts` key: a name in fonts/ or a set file; the default set
// otherwise), with `{job}/fonts` searched beside the job file. Throws Error(job).
std::shared_ptr<const TextEngine> job_text_engine(const Job& job);

// Before planning: the job's id, title and institution, and each document's id, title,
// metadata, TOC titles, substitution notes and (policy `substitute`) source file names. A document
// whose policy is skip-document is skipped (`documents[i].skipped`) with the message as its reason;
// otherwise throws MissingGlyph (an input error).
void check_document_text(const Job& job, const TextEngine& text,
                         std::vector<DocumentPages>& documents);

// After planning: gives the plan its font set and filming date (today unless the job names
// one), then checks every text the plan's frames will show. Throws MissingGlyph, or
// Error(job) for a template problem (unknown placeholder, missing substitution template).
void prepare_plan_text(const Job& job, Plan& plan, std::shared_ptr<const TextEngine> text);

}  // namespace fw
