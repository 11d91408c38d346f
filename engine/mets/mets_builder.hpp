// The builder of the METS document of a reel (mets.cpp) and of a document's MODS record
// (mets_mods.cpp), on libxml2's tree API. Private to engine/mets.
#pragma once

#include <fmt/format.h>
#include <libxml/tree.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mets/mets.hpp"

namespace fw::mets_detail {

inline constexpr const char* kMetsNs = "http://www.loc.gov/METS/";
inline constexpr const char* kModsNs = "http://www.loc.gov/mods/v3";
inline constexpr const char* kPremisNs = "http://www.loc.gov/premis/v3";
inline constexpr const char* kXlinkNs = "http://www.w3.org/1999/xlink";
// Metadata keys with no clear MODS element go to mods:extension in this namespace, key kept.
inline constexpr const char* kFilmwriterNs = "urn:x-filmwriter:mods-extension:1";

inline const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}
inline const xmlChar* x(const std::string& text) {
  return x(text.c_str());
}

// xmlNewTextChild and friends return null only when memory runs out.
inline xmlNodePtr checked(xmlNodePtr node) {
  if (!node) throw Error(ErrorKind::internal, "mets.xml: libxml2 could not allocate a node");
  return node;
}

// Where a value comes from ("document D001 metadata 作者"), for the error that names it.
class Builder {
 public:
  explicit Builder(const MetsPackage& p)
      : p_(p),
        context_(fmt::format("mets.xml of job {} reel {}", p.job_id, p.reel_id)),
        doc_(xmlNewDoc(x("1.0")), xmlFreeDoc) {
    if (!doc_) throw Error(ErrorKind::internal, "mets.xml: libxml2 could not create a document");
  }

  // The reel's METS document.
  std::string build();
  // The package's only document's MODS record as a document of its own: mods:mods the root
  // (mets_mods.cpp).
  std::string build_mods();

 private:
  std::string serialised();
  // Values as libxml2 is given them, each checked to be XML 1.0 character data (`what` names
  // the value in the error).
  const std::string& valid(const std::string& value, const std::string& what);
  void attr(xmlNodePtr node, const char* name, const std::string& value, const std::string& what);
  void xlink_href(xmlNodePtr node, const std::string& value, const std::string& what);
  xmlNodePtr element(xmlNodePtr parent, xmlNsPtr ns, const char* name) {
    return checked(xmlNewChild(parent, ns, x(name), nullptr));
  }
  // A text element: xmlNewTextChild escapes the content (xmlNewChild would read entities).
  xmlNodePtr text(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string& value,
                  const std::string& what);

  // The METS sections (mets.cpp).
  void header();
  static std::string dmd_id(std::size_t i) { return fmt::format("DMD{:04}", i + 1); }
  void dmd(std::size_t i);
  void administrative();
  xmlNodePtr premis_wrap(xmlNodePtr amd, const std::string& id, const char* type, const char* name);
  const char* carrier() const { return p_.fiche ? "fiche" : "reel"; }
  static std::string frame_id(std::uint32_t frame) { return fmt::format("FRAME{:06}", frame); }
  static std::string file_uri(const std::string& path);
  void checksum(xmlNodePtr file, const std::string& sha256, const std::string& what);
  void files();
  // A structMap of `type` labelled `label`, and in it the div of the reel (or fiche sheet).
  xmlNodePtr reel_div(const char* type, const std::string& label);
  void physical();
  void logical();
  void target(xmlNodePtr parent, const IndexRow& r);

  // MODS (mets_mods.cpp).
  enum class Field {
    author,
    editor,
    publisher,
    place,
    date,
    edition,
    language,
    title,
    subject,
    shelf_locator,
    identifier,
    note,
    none
  };
  void mods_record(xmlNodePtr mods, const MetsDocument& d);
  static Field mods_field(const std::string& key);

  const MetsPackage& p_;
  std::string context_;  // what a value error names first: "mets.xml of job J reel R0001"
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc_;
  xmlNodePtr root_ = nullptr;
  xmlNsPtr mets_ = nullptr, mods_ = nullptr, premis_ = nullptr, xlink_ = nullptr, fw_ = nullptr;
  std::string admids_;
  std::map<std::string, std::string> source_ids_;  // source file -> its file ID
  std::vector<const IndexRow*> source_order_;
};

}  // namespace fw::mets_detail
