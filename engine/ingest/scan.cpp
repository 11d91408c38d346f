#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <optional>

#include "base/utc.hpp"
#include "core/error.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"

namespace fw {
namespace {

// The outcome of one page, kept per index so that pages can be read in parallel and the
// policy still sees them in document order.
struct PageOutcome {
  SourcePage page;
  std::optional<Error> error;
};

std::vector<PageOutcome> probe_all(const std::vector<PageRef>& refs, const PageSettings& settings,
                                   const Limits& limits) {
  std::vector<PageOutcome> outcomes(refs.size());
  tbb::parallel_for(std::size_t{0}, refs.size(), [&](std::size_t i) {
    outcomes[i].page.ref = refs[i];
    try {
      outcomes[i].page.info = probe_page(refs[i], settings, limits);
    } catch (const Error& error) {
      outcomes[i].error = error;
    }
  });
  return outcomes;
}

// Every page (in document order) that does not decode completely, in one error, if any.
std::optional<Error> decode_failures(const std::vector<SourcePage>& pages, const Limits& limits) {
  std::vector<std::optional<Error>> errors(pages.size());
  tbb::parallel_for(std::size_t{0}, pages.size(), [&](std::size_t i) {
    try {
      verify_decodes(pages[i], limits);
    } catch (const Error& error) {
      errors[i] = error;
    }
  });
  std::vector<Error> failed;
  for (auto& error : errors) {
    if (error) failed.push_back(*error);
  }
  if (failed.empty()) return std::nullopt;
  return join_errors(failed, "pages do not decode");
}

// The delivery's checksums over a document's pages (in document order): a file that is not
// listed, does not match, or is listed in a folder the document scans but is not on disk fails
// as a page that cannot be filmed, so the document's failure policy takes it as it takes a
// page that does not decode. Each file is read once, files in parallel.
void check_checksums(const DeliveryChecksums& delivery, const PageSource& source,
                     std::vector<PageOutcome>& outcomes, ChecksumSummary& summary) {
  std::vector<std::string> files;
  for (const PageOutcome& outcome : outcomes) {
    if (!outcome.page.ref.file.empty()) files.push_back(outcome.page.ref.file);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<std::string> failures(files.size());
  std::vector<std::string> sha256(files.size());
  tbb::parallel_for(std::size_t{0}, files.size(),
                    [&](std::size_t i) { failures[i] = delivery.check(files[i], &sha256[i]); });
  for (std::size_t i = 0; i < files.size(); ++i) {
    failures[i].empty() ? ++summary.files_matched : ++summary.files_failed;
  }
  for (PageOutcome& outcome : outcomes) {
    const std::string& file = outcome.page.ref.file;
    if (file.empty()) continue;
    const auto at = std::lower_bound(files.begin(), files.end(), file);
    const auto i = static_cast<std::size_t>(at - files.begin());
    // The checksum's finding comes before a probe's: a page cut short by an interrupted copy
    // is a file to ask the supplier for again, not a damaged original.
    if (!failures[i].empty()) {
      outcome.error = Error(ErrorKind::input, failures[i]);
    } else {
      set_checked_sha256(outcome.page.ref, sha256[i]);
    }
  }
  // The pages the manifest lists where the document looks for its pages (its folder, or the
  // files its pattern matches) and the disk lacks, where their names put them among the pages:
  // a folder's pages are in the natural order of their names, a pattern's of their paths.
  const bool folder = source.kind == PageSource::Kind::directory;
  if ((!folder && source.kind != PageSource::Kind::glob) || source.paths.empty()) return;
  const auto order_key = [folder](const std::string& file) {
    return folder ? std::filesystem::path(file).filename().string() : file;
  };
  for (auto& [file, reason] : folder ? delivery.missing_in(source.paths.front())
                                     : delivery.missing_matching(source.paths.front())) {
    ++summary.files_failed;
    const std::string key = order_key(file);
    const auto at = std::find_if(outcomes.begin(), outcomes.end(), [&](const PageOutcome& o) {
      return natural_less(key, order_key(o.page.ref.file));
    });
    PageOutcome missing;
    missing.page.ref.file = file;
    missing.error = Error(ErrorKind::input, reason);
    outcomes.insert(at, std::move(missing));
  }
}

DocumentPages scan_document(const Job& job, std::size_t index, const DeliveryChecksums& delivery,
                            ChecksumSummary& summary) {
  const Document& document = job.documents[index];
  const PageSettings settings = settings_for(job, document);
  const std::string key =
      document.key.empty() ? fmt::format("documents[{}]", index + 1) : document.key;
  const std::string context = fmt::format("document {} ({})", document.id, key);

  DocumentPages result;
  result.document = index;
  auto skip = [&](const Error& error) {
    result.pages.clear();
    result.skipped = true;
    result.skip_reason = error.what();
  };

  ExpandedPages expanded;
  try {
    expanded = expand_pages_keep_going(document.pages, job.limits);
  } catch (const Error& error) {
    // A job error here (a page's path that cannot be recorded) is no page's failure: no
    // policy films or skips around it.
    if (error.kind() == ErrorKind::job) throw with_context(context, error);
    switch (settings.on_error) {
      case FailurePolicy::fail:
        throw with_context(context, error);
      case FailurePolicy::skip_document:
        skip(error);
        return result;
      case FailurePolicy::substitute:
        // Nothing tells how many pages are missing: one substitution frame stands for them.
        result.substitutes.push_back({0, error.what(), {}});
        return result;
    }
  }

  result.left_out = std::move(expanded.left_out);
  // Every page in document order: the probed pages, and each file that is no page where it
  // stands among them.
  std::vector<PageOutcome> outcomes = probe_all(expanded.pages, settings, job.limits);
  if (!expanded.failures.empty()) {
    std::vector<PageOutcome> all;
    all.reserve(outcomes.size() + expanded.failures.size());
    auto failure = expanded.failures.begin();
    auto add_failures = [&] {
      while (failure != expanded.failures.end() && failure->position == all.size()) {
        PageOutcome bad;
        bad.page.ref.file = failure->file;
        bad.error = failure->error;
        all.push_back(std::move(bad));
        ++failure;
      }
    };
    for (PageOutcome& outcome : outcomes) {
      add_failures();
      all.push_back(std::move(outcome));
    }
    add_failures();
    outcomes = std::move(all);
  }
  if (!delivery.empty()) check_checksums(delivery, document.pages, outcomes, summary);

  // Every page that failed is reported, not just the first: one run shows the operator all
  // that needs mending.
  std::vector<Error> errors;
  for (std::size_t position = 0; auto& outcome : outcomes) {
    if (!outcome.error) {
      result.pages.push_back(std::move(outcome.page));
    } else if (settings.on_error == FailurePolicy::substitute) {
      result.substitutes.push_back({position, outcome.error->what(), outcome.page.ref});
    } else {
      errors.push_back(*outcome.error);
    }
    ++position;
  }
  if (!errors.empty()) {
    const Error error = join_errors(errors, "pages cannot be filmed");
    if (settings.on_error == FailurePolicy::fail) throw with_context(context, error);
    skip(error);
    return result;
  }

  // A skipped document must be skipped before any of its frames is exposed, so its pages
  // are decoded in full now rather than found damaged halfway through the reel.
  if (settings.on_error == FailurePolicy::skip_document) {
    if (auto failure = decode_failures(result.pages, job.limits)) skip(*failure);
  }
  return result;
}

}  // namespace

std::vector<DocumentPages> scan_documents(const Job& job, ChecksumSummary* checksums) {
  std::vector<std::string> folders;
  for (const Document& document : job.documents) {
    if (document.pages.kind == PageSource::Kind::directory && !document.pages.paths.empty()) {
      folders.push_back(document.pages.paths.front());
    }
  }
  const DeliveryChecksums delivery = DeliveryChecksums::for_job(job.checksums, folders);
  ChecksumSummary summary;
  summary.manifests = delivery.manifests();
  summary.algorithms = delivery.algorithms();
  summary.tag_manifests = delivery.tag_manifests();
  if (summary.used()) summary.checked_at = utc_timestamp_now();
  std::vector<DocumentPages> documents;
  documents.reserve(job.documents.size());
  for (std::size_t i = 0; i < job.documents.size(); ++i) {
    documents.push_back(scan_document(job, i, delivery, summary));
  }
  if (checksums) *checksums = std::move(summary);
  return documents;
}

}  // namespace fw
