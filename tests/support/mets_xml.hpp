// METS documents read back with libxml2 for the METS tests (tests/mets_*_test.cpp, which link
// libxml2 themselves): XPath over a package, validation against profiles/schemas/, and the title
// and pages the tests' jobs share.
#pragma once

#include "mets/mets.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <memory>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/index.hpp"
#include "catalog/inspection.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::test {

namespace fs = std::filesystem;

inline const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// The schema errors of `xml` against profiles/schemas/`schema_name` (package.xsd: METS with
// its MODS and PREMIS; mods.xsd: a MODS record on its own); empty when it validates. Each
// schema is parsed once and never fetched (no network).
inline std::vector<std::string> schema_errors(const std::string& xml,
                                              const std::string& schema_name = "package.xsd") {
  // Parsed for each call and freed: a schema cached for the process's life is reported by
  // LeakSanitizer (clang's) as libxml2 memory lost at exit.
  const std::string file = (test::source_dir() / "profiles" / "schemas" / schema_name).string();
  xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(file.c_str());
  const std::unique_ptr<xmlSchema, void (*)(xmlSchemaPtr)> parsed(xmlSchemaParse(parser),
                                                                  xmlSchemaFree);
  xmlSchemaFreeParserCtxt(parser);
  xmlSchemaPtr schema = parsed.get();
  if (!schema) return {"the schema did not parse"};
  std::vector<std::string> errors;
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "mets.xml", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return {"not well-formed XML"};
  xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidStructuredErrors(
      valid,
      [](void* out, auto* error) {  // xmlError*, const from libxml2 2.12 on
        static_cast<std::vector<std::string>*>(out)->push_back(
            fmt::format("line {}: {}", error->line, error->message ? error->message : ""));
      },
      &errors);
  const int result = xmlSchemaValidateDoc(valid, doc.get());
  xmlSchemaFreeValidCtxt(valid);
  if (result != 0 && errors.empty()) errors.push_back(fmt::format("invalid ({})", result));
  return errors;
}

// XPath questions to a package, with the standards' prefixes.
class Xml {
 public:
  explicit Xml(const std::string& xml)
      : doc_(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "mets.xml", nullptr,
                           XML_PARSE_NONET),
             xmlFreeDoc) {
    if (!doc_) throw std::runtime_error("not well-formed XML");
  }
  // The string value of every node the expression selects (attributes and elements), in order.
  std::vector<std::string> all(const std::string& path) const {
    std::unique_ptr<xmlXPathContext, void (*)(xmlXPathContextPtr)> ctx(
        xmlXPathNewContext(doc_.get()), xmlXPathFreeContext);
    xmlXPathRegisterNs(ctx.get(), x("mets"), x("http://www.loc.gov/METS/"));
    xmlXPathRegisterNs(ctx.get(), x("mods"), x("http://www.loc.gov/mods/v3"));
    xmlXPathRegisterNs(ctx.get(), x("premis"), x("http://www.loc.gov/premis/v3"));
    xmlXPathRegisterNs(ctx.get(), x("xlink"), x("http://www.w3.org/1999/xlink"));
    xmlXPathRegisterNs(ctx.get(), x("fw"), x("urn:x-filmwriter:mods-extension:1"));
    std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> result(
        xmlXPathEvalExpression(x(path.c_str()), ctx.get()), xmlXPathFreeObject);
    if (!result) throw std::runtime_error("bad XPath " + path);
    std::vector<std::string> out;
    if (!result->nodesetval) return out;
    for (int i = 0; i < result->nodesetval->nodeNr; ++i) {
      xmlChar* text = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      xmlFree(text);
    }
    return out;
  }
  std::size_t count(const std::string& path) const { return all(path).size(); }
  std::string one(const std::string& path) const {
    const auto values = all(path);
    return values.size() == 1 ? values[0] : fmt::format("<{} nodes>", values.size());
  }

 private:
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc_;
};

inline void write_pages(const fs::path& dir, int pages, const std::string& label) {
  fs::create_directories(dir);
  for (int p = 1; p <= pages; ++p) {
    samples::PageSpec spec{
        105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, fmt::format("{} p{}", label, p)};
    samples::save_page(samples::make_page(spec), dir / fmt::format("p{}.png", p),
                       samples::Encoding::png, 100);
  }
}

// The first document's title holds an Extension B character (U+20000) and characters XML
// escapes; its metadata has keys MODS maps and one it does not.
inline constexpr const char* kTitle = "论语集注 卷一 \xF0\xA0\x80\x80 <注> & \"疏\"";

}  // namespace fw::test
