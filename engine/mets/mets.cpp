// The METS document of a reel, built with libxml2's tree API: libxml2 escapes every text and
// attribute value and writes the UTF-8 bytes as given, so titles in any script (Extension B
// included) come out exactly as the job file wrote them.
#include "mets/mets.hpp"

#include <libxml/xmlsave.h>

#include <algorithm>
#include <array>

#include "catalog/catalog.hpp"
#include "mets/mets_builder.hpp"

namespace fw {
namespace mets_detail {
namespace {

// Why `text` cannot be XML 1.0 character data, or "" when it can: invalid UTF-8, or a
// character XML 1.0 does not allow (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF).
std::string xml_problem(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    std::size_t len = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return fmt::format("invalid UTF-8 byte 0x{:02X} at byte {}", c, i);
    }
    if (i + len > n) return fmt::format("UTF-8 sequence cut short at byte {}", i);
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return fmt::format("invalid UTF-8 at byte {}", i + k);
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    constexpr std::array<char32_t, 5> min_of_len = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return fmt::format("invalid UTF-8 at byte {}", i);
    }
    if ((cp < 0x20 && cp != 0x09 && cp != 0x0A && cp != 0x0D) || cp == 0xFFFE || cp == 0xFFFF) {
      return fmt::format("character U+{:04X} at byte {} is not allowed in XML 1.0",
                         static_cast<std::uint32_t>(cp), i);
    }
    i += len;
  }
  return "";
}

// An event type as a piece of its identifier: "fixity check" -> "fixity-check".
std::string kebab(std::string type) {
  std::replace(type.begin(), type.end(), ' ', '-');
  return type;
}

}  // namespace

std::string Builder::build() {
  root_ = checked(xmlNewNode(nullptr, x("mets")));
  xmlDocSetRootElement(doc_.get(), root_);
  mets_ = xmlNewNs(root_, x(kMetsNs), x("mets"));
  mods_ = xmlNewNs(root_, x(kModsNs), x("mods"));
  premis_ = xmlNewNs(root_, x(kPremisNs), x("premis"));
  xlink_ = xmlNewNs(root_, x(kXlinkNs), x("xlink"));
  fw_ = xmlNewNs(root_, x(kFilmwriterNs), x("fw"));
  if (!mets_ || !mods_ || !premis_ || !xlink_ || !fw_) {
    throw Error(ErrorKind::internal, "mets.xml: libxml2 could not declare the namespaces");
  }
  xmlSetNs(root_, mets_);
  attr(root_, "OBJID", p_.job_id + "/" + p_.reel_id, "the job id");
  attr(root_, "LABEL",
       fmt::format("{} reel {}", p_.job_title.empty() ? p_.job_id : p_.job_title, p_.reel_id),
       "the job title");
  attr(root_, "TYPE", p_.fiche ? "microfiche" : "microfilm reel", "");
  header();
  for (std::size_t i = 0; i < p_.documents.size(); ++i) dmd(i);
  administrative();
  files();
  physical();
  logical();
  return serialised();
}

std::string Builder::serialised() {
  xmlChar* bytes = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc_.get(), &bytes, &size, "UTF-8", 1);
  if (!bytes) throw Error(ErrorKind::internal, "mets.xml: libxml2 could not serialise it");
  std::string out(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
  xmlFree(bytes);
  return out;
}

const std::string& Builder::valid(const std::string& value, const std::string& what) {
  if (const std::string problem = xml_problem(value); !problem.empty()) {
    throw Error(ErrorKind::input, fmt::format("{}: {} \"{}\": {}", context_, what, value, problem));
  }
  return value;
}

void Builder::attr(xmlNodePtr node, const char* name, const std::string& value,
                   const std::string& what) {
  if (!xmlNewProp(node, x(name), x(valid(value, what)))) {
    throw Error(ErrorKind::internal, "mets.xml: libxml2 could not add an attribute");
  }
}

void Builder::xlink_href(xmlNodePtr node, const std::string& value, const std::string& what) {
  if (!xmlNewNsProp(node, xlink_, x("href"), x(valid(value, what)))) {
    throw Error(ErrorKind::internal, "mets.xml: libxml2 could not add an attribute");
  }
}

xmlNodePtr Builder::text(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string& value,
                         const std::string& what) {
  return checked(xmlNewTextChild(parent, ns, x(name), x(valid(value, what))));
}

void Builder::header() {
  xmlNodePtr hdr = element(root_, mets_, "metsHdr");
  attr(hdr, "CREATEDATE", p_.created, "the creation date");
  attr(hdr, "RECORDSTATUS", p_.reel_status, "the reel status");
  xmlNodePtr creator = element(hdr, mets_, "agent");
  attr(creator, "ROLE", "CREATOR", "");
  attr(creator, "TYPE", "OTHER", "");
  attr(creator, "OTHERTYPE", "SOFTWARE", "");
  text(creator, mets_, "name", "filmwriter", "");
  if (!p_.institution.empty()) {
    xmlNodePtr custodian = element(hdr, mets_, "agent");
    attr(custodian, "ROLE", "CUSTODIAN", "");
    attr(custodian, "TYPE", "ORGANIZATION", "");
    text(custodian, mets_, "name", p_.institution, "the institution");
  }
  xmlNodePtr alt = text(hdr, mets_, "altRecordID", p_.job_id, "the job id");
  attr(alt, "TYPE", "filmwriter job", "");
}

// The MODS record of document i: what has a clear MODS element goes there, the rest into
// mods:extension with its key (docs/operations.md has the table).
void Builder::dmd(std::size_t i) {
  const MetsDocument& d = p_.documents[i];
  const std::string where = "document " + d.id;
  xmlNodePtr sec = element(root_, mets_, "dmdSec");
  attr(sec, "ID", dmd_id(i), "");
  xmlNodePtr wrap = element(sec, mets_, "mdWrap");
  attr(wrap, "MDTYPE", "MODS", "");
  attr(wrap, "MDTYPEVERSION", "3.7", "");
  attr(wrap, "LABEL", d.id, where + " id");
  mods_record(element(element(wrap, mets_, "xmlData"), mods_, "mods"), d);
}

// The agents and events, each in its own digiprovMD: a PREMIS:AGENT or PREMIS:EVENT.
void Builder::administrative() {
  if (p_.agents.empty() && p_.events.empty()) return;
  xmlNodePtr amd = element(root_, mets_, "amdSec");
  attr(amd, "ID", "AMD", "");
  int n = 0;
  for (const MetsAgent& a : p_.agents) {
    const std::string what = "agent " + a.id;
    xmlNodePtr agent = premis_wrap(amd, fmt::format("AGENT{:02}", ++n), "PREMIS:AGENT", "agent");
    xmlNodePtr id = element(agent, premis_, "agentIdentifier");
    text(id, premis_, "agentIdentifierType", "local", "");
    text(id, premis_, "agentIdentifierValue", a.id, what);
    text(agent, premis_, "agentName", a.name, what + " name");
    text(agent, premis_, "agentType", a.type, what + " type");
    if (!a.version.empty()) text(agent, premis_, "agentVersion", a.version, what + " version");
  }
  n = 0;
  for (const MetsEvent& e : p_.events) {
    const std::string what = e.type + " event";
    ++n;
    xmlNodePtr event = premis_wrap(amd, fmt::format("EVENT{:02}", n), "PREMIS:EVENT", "event");
    xmlNodePtr id = element(event, premis_, "eventIdentifier");
    text(id, premis_, "eventIdentifierType", "local", "");
    text(id, premis_, "eventIdentifierValue",
         fmt::format("{}/{}/{}-{}", p_.job_id, p_.reel_id, kebab(e.type), n), what);
    text(event, premis_, "eventType", e.type, what);
    text(event, premis_, "eventDateTime", e.date_time, what + " date");
    if (!e.detail.empty()) {
      text(element(event, premis_, "eventDetailInformation"), premis_, "eventDetail", e.detail,
           what + " detail");
    }
    if (!e.outcome.empty() || !e.outcome_notes.empty()) {
      xmlNodePtr outcome = element(event, premis_, "eventOutcomeInformation");
      if (!e.outcome.empty()) text(outcome, premis_, "eventOutcome", e.outcome, what);
      for (const std::string& note : e.outcome_notes) {
        text(element(outcome, premis_, "eventOutcomeDetail"), premis_, "eventOutcomeDetailNote",
             note, what + " note");
      }
    }
    for (const std::string& agent : e.agents) {
      xmlNodePtr link = element(event, premis_, "linkingAgentIdentifier");
      text(link, premis_, "linkingAgentIdentifierType", "local", "");
      text(link, premis_, "linkingAgentIdentifierValue", agent, what + " agent");
      text(link, premis_, "linkingAgentRole", "executing program", "");
    }
    xmlNodePtr object = element(event, premis_, "linkingObjectIdentifier");
    text(object, premis_, "linkingObjectIdentifierType", "local", "");
    text(object, premis_, "linkingObjectIdentifierValue", p_.job_id + "/" + p_.reel_id,
         "the job id");
  }
}

xmlNodePtr Builder::premis_wrap(xmlNodePtr amd, const std::string& id, const char* type,
                                const char* name) {
  xmlNodePtr md = element(amd, mets_, "digiprovMD");
  attr(md, "ID", id, "");
  admids_ += (admids_.empty() ? "" : " ") + id;
  xmlNodePtr wrap = element(md, mets_, "mdWrap");
  attr(wrap, "MDTYPE", type, "");
  attr(wrap, "MDTYPEVERSION", "3.0", "");
  xmlNodePtr node = element(element(wrap, mets_, "xmlData"), premis_, name);
  attr(node, "version", "3.0", "");
  return node;
}

// A source file's location as a URI: file:///... for an absolute path, else relative to the
// job file; bytes other than unreserved characters and "/" percent-encoded (RFC 3986).
std::string Builder::file_uri(const std::string& path) {
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (const unsigned char c : path) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

void Builder::checksum(xmlNodePtr file, const std::string& sha256, const std::string& what) {
  if (sha256.empty()) return;
  attr(file, "CHECKSUM", sha256, what);
  attr(file, "CHECKSUMTYPE", "SHA-256", "");
}

void Builder::files() {
  xmlNodePtr sec = element(root_, mets_, "fileSec");
  // Each frame as sent to the recorder: its checksum is of the code values (index.csv's
  // frame_sha256); the frame itself is on film, so it has no location.
  if (!p_.frames.empty()) {
    xmlNodePtr frames = element(sec, mets_, "fileGrp");
    attr(frames, "USE", "frames", "");
    for (const IndexRow& r : p_.frames) {
      xmlNodePtr file = element(frames, mets_, "file");
      attr(file, "ID", frame_id(r.frame), "");
      attr(file, "SEQ", std::to_string(r.frame), "");
      checksum(file, r.frame_sha256, "frame " + r.address + " checksum");
    }
  }
  // Each source file once, in the order the reel films it.
  for (const IndexRow& r : p_.frames) {
    if (r.source_file.empty() || source_ids_.count(r.source_file)) continue;
    source_ids_[r.source_file] = fmt::format("SOURCE{:05}", source_ids_.size() + 1);
    source_order_.push_back(&r);
  }
  if (!source_order_.empty()) {
    xmlNodePtr sources = element(sec, mets_, "fileGrp");
    attr(sources, "USE", "sources", "");
    for (const IndexRow* r : source_order_) {
      const std::string what = "source file " + r->source_file;
      xmlNodePtr file = element(sources, mets_, "file");
      attr(file, "ID", source_ids_.at(r->source_file), "");
      checksum(file, r->source_sha256, what + " checksum");
      xmlNodePtr loc = element(file, mets_, "FLocat");
      attr(loc, "LOCTYPE", "URL", "");
      xlink_href(loc, file_uri(r->source_file), what);
    }
  }
  // The reel's own records beside mets.xml.
  xmlNodePtr package = element(sec, mets_, "fileGrp");
  attr(package, "USE", "package", "");
  const std::array<std::pair<const char*, const std::string*>, 2> records = {
      {{"index.csv", &p_.index_sha256}, {"manifest.sha256", &p_.manifest_sha256}}};
  for (const auto& [name, sha256] : records) {
    xmlNodePtr file = element(package, mets_, "file");
    attr(file, "ID", name == std::string("index.csv") ? "INDEX" : "MANIFEST", "");
    attr(file, "MIMETYPE", name == std::string("index.csv") ? "text/csv" : "text/plain", "");
    checksum(file, *sha256, std::string(name) + " checksum");
    xmlNodePtr loc = element(file, mets_, "FLocat");
    attr(loc, "LOCTYPE", "URL", "");
    xlink_href(loc, name, "");
  }
}

xmlNodePtr Builder::reel_div(const char* type, const std::string& label) {
  xmlNodePtr map = element(root_, mets_, "structMap");
  attr(map, "TYPE", type, "");
  attr(map, "LABEL", label, "the reel id");
  xmlNodePtr reel = element(map, mets_, "div");
  attr(reel, "TYPE", carrier(), "");
  attr(reel, "LABEL", p_.reel_id, "the reel id");
  return reel;
}

// The reel as filmed: every frame in order, ORDER its number on the reel and ORDERLABEL
// its address (the eye-legible line on film).
void Builder::physical() {
  xmlNodePtr reel = reel_div("physical", "reel " + p_.reel_id);
  if (!admids_.empty()) attr(reel, "ADMID", admids_, "");
  for (const IndexRow& r : p_.frames) {
    xmlNodePtr frame = element(reel, mets_, "div");
    attr(frame, "TYPE", "frame", "");
    attr(frame, "ORDER", std::to_string(r.frame), "");
    attr(frame, "ORDERLABEL", r.address, "frame address");
    attr(frame, "LABEL", r.kind, "frame kind");
    attr(element(frame, mets_, "fptr"), "FILEID", frame_id(r.frame), "");
  }
}

// What the reel holds: its own targets, and each document (its MODS record) with its title
// target, table-of-contents divisions and pages; a page's frames (one, or three colour
// separations) and its source file in one div.
void Builder::logical() {
  xmlNodePtr reel = reel_div("logical", "documents on reel " + p_.reel_id);
  std::map<std::string, std::size_t> doc_index;
  for (std::size_t i = 0; i < p_.documents.size(); ++i) doc_index[p_.documents[i].id] = i;

  struct Open {
    const MetsTocDivision* entry;
    xmlNodePtr node;
  };
  xmlNodePtr doc_div = nullptr;
  const MetsDocument* doc = nullptr;
  std::size_t next_toc = 0;
  std::vector<Open> toc;  // the open divisions, outermost first
  xmlNodePtr page_div = nullptr;
  xmlNodePtr source_fptr = nullptr;  // the current page's pointer to its source file
  std::uint32_t page_of_div = 0;
  for (const IndexRow& r : p_.frames) {
    const auto found = doc_index.find(r.document_id);
    if (is_reel_target(r.kind) || found == doc_index.end()) {
      doc_div = nullptr;
      page_div = nullptr;
      target(reel, r);
      continue;
    }
    if (!doc_div || doc != &p_.documents[found->second]) {
      doc = &p_.documents[found->second];
      doc_div = element(reel, mets_, "div");
      attr(doc_div, "TYPE", "document", "");
      attr(doc_div, "LABEL", doc->title, "document " + doc->id + " title");
      attr(doc_div, "ORDERLABEL", doc->id, "document id");
      attr(doc_div, "DMDID", dmd_id(found->second), "");
      next_toc = 0;
      toc.clear();
      page_div = nullptr;
    }
    const bool page = r.page > 0 && (r.kind == "page" || r.kind == "substitute");
    // The target before a page's sections (oversize = "split") is part of the page: its
    // division goes inside the page's, after the page's files (METS: fptr before div).
    if (r.kind == "reduction-change" && page_div && page_of_div == r.page) {
      target(page_div, r);
      continue;
    }
    if (!page) {
      page_div = nullptr;
      target(doc_div, r);
      continue;
    }
    // Another separation of the same page, or a section of it.
    if (page_div && page_of_div == r.page) {
      xmlNodePtr fptr = element(page_div, mets_, "fptr");
      attr(fptr, "FILEID", frame_id(r.frame), "");
      // The page's frames first, in filming order, then its source file.
      if (source_fptr && !xmlAddPrevSibling(source_fptr, fptr)) {
        throw Error(ErrorKind::internal, "mets.xml: libxml2 could not move a node");
      }
      continue;
    }
    // The divisions that begin at or before this page open (closing those at their level or
    // deeper); a division is written only once a page of it is on this reel.
    while (next_toc < doc->toc.size() && doc->toc[next_toc].first_page <= r.page) {
      const MetsTocDivision& entry = doc->toc[next_toc++];
      while (!toc.empty() && toc.back().entry->level >= entry.level) toc.pop_back();
      toc.push_back({&entry, nullptr});
    }
    xmlNodePtr parent = doc_div;
    for (Open& open : toc) {
      if (!open.node) {
        open.node = element(parent, mets_, "div");
        attr(open.node, "TYPE", fmt::format("toc-level-{}", open.entry->level), "");
        attr(open.node, "LABEL", open.entry->title,
             fmt::format("document {} table of contents entry", doc->id));
      }
      parent = open.node;
    }
    page_div = element(parent, mets_, "div");
    page_of_div = r.page;
    attr(page_div, "TYPE", "page", "");
    attr(page_div, "ORDER", std::to_string(r.page), "");
    attr(page_div, "ORDERLABEL", r.address, "frame address");
    attr(page_div, "LABEL", fmt::format("page {}", r.page), "");
    attr(element(page_div, mets_, "fptr"), "FILEID", frame_id(r.frame), "");
    source_fptr = nullptr;
    if (const auto source = source_ids_.find(r.source_file); source != source_ids_.end()) {
      source_fptr = element(page_div, mets_, "fptr");
      attr(source_fptr, "FILEID", source->second, "");
    }
  }
}

void Builder::target(xmlNodePtr parent, const IndexRow& r) {
  xmlNodePtr div = element(parent, mets_, "div");
  attr(div, "TYPE", r.kind, "frame kind");
  attr(div, "ORDERLABEL", r.address, "frame address");
  attr(element(div, mets_, "fptr"), "FILEID", frame_id(r.frame), "");
}

}  // namespace mets_detail

const char* const kMetsFilmingKey = "filming";

std::string mets_xml(const MetsPackage& package) {
  return mets_detail::Builder(package).build();
}

std::string mods_record_xml(const std::string& job_id, const MetsDocument& document, bool fiche) {
  MetsPackage package;
  package.job_id = job_id;
  package.fiche = fiche;
  package.documents = {document};
  return mets_detail::Builder(package).build_mods();
}

}  // namespace fw
