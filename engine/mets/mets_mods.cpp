// The MODS 3.7 record of a document (mets_builder.hpp): in the reel's METS package, and on its
// own for the toc-csv upload package.
#include <algorithm>
#include <string>

#include "mets/mets_builder.hpp"

namespace fw::mets_detail {

// The package's only document's MODS record as a document of its own: mods:mods the root.
std::string Builder::build_mods() {
  context_ = fmt::format("MODS record of job {} document {}", p_.job_id, p_.documents.at(0).id);
  root_ = checked(xmlNewNode(nullptr, x("mods")));
  xmlDocSetRootElement(doc_.get(), root_);
  mods_ = xmlNewNs(root_, x(kModsNs), x("mods"));
  fw_ = xmlNewNs(root_, x(kFilmwriterNs), x("fw"));
  if (!mods_ || !fw_) {
    throw Error(ErrorKind::internal, "MODS record: libxml2 could not declare the namespaces");
  }
  xmlSetNs(root_, mods_);
  mods_record(root_, p_.documents.at(0));
  return serialised();
}

// Fills `mods` (a mods:mods element) with document d's record: the same record in a reel's
// dmdSec and on its own in the toc-csv upload package (mods_record_xml).
void Builder::mods_record(xmlNodePtr mods, const MetsDocument& d) {
  const std::string where = "document " + d.id;
  attr(mods, "version", "3.7", "");
  text(element(mods, mods_, "titleInfo"), mods_, "title", d.title, where + " title");
  xmlNodePtr id = text(mods, mods_, "identifier", d.id, where + " id");
  attr(id, "type", "local", "");
  xmlNodePtr origin = nullptr;
  const auto origin_info = [&] {
    if (!origin) origin = element(mods, mods_, "originInfo");
    return origin;
  };
  std::vector<std::pair<std::string, std::string>> rest;
  for (const auto& [key, value] : d.metadata) {
    const std::string what = fmt::format("{} metadata {}", where, key);
    switch (mods_field(key)) {
      case Field::author:
      case Field::editor: {
        const bool author = mods_field(key) == Field::author;
        xmlNodePtr name = element(mods, mods_, "name");
        text(name, mods_, "namePart", value, what);
        xmlNodePtr role = element(name, mods_, "role");
        xmlNodePtr term = text(role, mods_, "roleTerm", author ? "author" : "editor", "");
        attr(term, "type", "text", "");
        attr(term, "authority", "marcrelator", "");
        term = text(role, mods_, "roleTerm", author ? "aut" : "edt", "");
        attr(term, "type", "code", "");
        attr(term, "authority", "marcrelator", "");
        break;
      }
      case Field::publisher:
        text(origin_info(), mods_, "publisher", value, what);
        break;
      case Field::place: {
        xmlNodePtr place = element(origin_info(), mods_, "place");
        attr(text(place, mods_, "placeTerm", value, what), "type", "text", "");
        break;
      }
      case Field::date:
        text(origin_info(), mods_, "dateIssued", value, what);
        break;
      case Field::edition:
        text(origin_info(), mods_, "edition", value, what);
        break;
      case Field::language: {
        xmlNodePtr language = element(mods, mods_, "language");
        // "chi", "jpn": an ISO 639-2 code; anything else ("中文", "汉语") as written.
        const bool code = value.size() == 3 && std::all_of(value.begin(), value.end(), [](char c) {
                            return c >= 'a' && c <= 'z';
                          });
        xmlNodePtr term = text(language, mods_, "languageTerm", value, what);
        attr(term, "type", code ? "code" : "text", "");
        if (code) attr(term, "authority", "iso639-2b", "");
        break;
      }
      case Field::title:
        // The document's title is the main title already; a different one is an alternative.
        if (value != d.title) {
          xmlNodePtr info = element(mods, mods_, "titleInfo");
          attr(info, "type", "alternative", "");
          text(info, mods_, "title", value, what);
        }
        break;
      case Field::subject:
        text(element(mods, mods_, "subject"), mods_, "topic", value, what);
        break;
      case Field::shelf_locator:
        text(element(mods, mods_, "location"), mods_, "shelfLocator", value, what);
        break;
      case Field::identifier:
        attr(text(mods, mods_, "identifier", value, what), "type", key, what);
        break;
      case Field::note:
        text(mods, mods_, "note", value, what);
        break;
      case Field::none:
        rest.emplace_back(key, value);
        break;
    }
  }
  xmlNodePtr physical = element(mods, mods_, "physicalDescription");
  attr(text(physical, mods_, "form", p_.fiche ? "microfiche" : "microfilm", ""), "authority",
       "marcform", "");
  if (!rest.empty()) {
    xmlNodePtr extension = element(mods, mods_, "extension");
    for (const auto& [key, value] : rest) {
      const std::string what = fmt::format("{} metadata {}", where, key);
      attr(text(extension, fw_, "metadata", value, what), "key", key, where + " metadata key");
    }
  }
}

// The job file's metadata keys with a clear MODS element: Chinese keys (simplified and
// traditional) as cataloguers write them, English ones ASCII case aside.
Builder::Field Builder::mods_field(const std::string& key) {
  std::string k = key;
  std::transform(k.begin(), k.end(), k.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  static const std::map<std::string, Field> fields = {
      {"作者", Field::author},
      {"著者", Field::author},
      {"撰者", Field::author},
      {"author", Field::author},
      {"creator", Field::author},
      {"编者", Field::editor},
      {"編者", Field::editor},
      {"editor", Field::editor},
      {"出版者", Field::publisher},
      {"出版社", Field::publisher},
      {"publisher", Field::publisher},
      {"出版地", Field::place},
      {"place", Field::place},
      {"年代", Field::date},
      {"日期", Field::date},
      {"出版日期", Field::date},
      {"出版年", Field::date},
      {"date", Field::date},
      {"版本", Field::edition},
      {"edition", Field::edition},
      {"语种", Field::language},
      {"語種", Field::language},
      {"语言", Field::language},
      {"語言", Field::language},
      {"language", Field::language},
      {"题名", Field::title},
      {"題名", Field::title},
      {"title", Field::title},
      {"主题", Field::subject},
      {"主題", Field::subject},
      {"subject", Field::subject},
      {"索书号", Field::shelf_locator},
      {"索書號", Field::shelf_locator},
      {"shelfmark", Field::shelf_locator},
      {"call_number", Field::shelf_locator},
      {"isbn", Field::identifier},
      {"issn", Field::identifier},
      {"附注", Field::note},
      {"附註", Field::note},
      {"备注", Field::note},
      {"note", Field::note},
  };
  const auto it = fields.find(k);
  return it == fields.end() ? Field::none : it->second;
}

}  // namespace fw::mets_detail
