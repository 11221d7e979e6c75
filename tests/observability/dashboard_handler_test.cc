// ObservabilityHandler's dashboard routes: the page at / only for a browser's
// GET (Kinesis keeps POST / and AWS calls), the compiled-in files with their
// content types, CSP and ETags (304 on a match), the state JSON through the
// collector thread, 405 with Allow for other methods, and the standalone
// listener (no Kinesis handler behind it).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include "server/observability/dashboard_assets.h"
#include "server/observability/observability_handler.h"
#include "tests/observability/dashboard_test_util.h"

namespace tidelog::server::testing {
namespace {

using kinesis::ParseJson;

// Stands for the Kinesis handler: answers 299 to whatever reaches it.
class NextHandler final : public RequestHandler {
 public:
  std::optional<HttpResponse> CheckHead(const HttpRequest&) override { return std::nullopt; }
  void Handle(HttpRequest request, Responder done) override {
    HttpResponse r;
    r.status = 299;
    r.body = "kinesis " + request.method;
    done(std::move(r));
  }
};

const std::string* HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string HeaderValue(const HttpResponse& r, std::string_view name) {
  const std::string* v = HeaderOf(r, name);
  return v != nullptr ? *v : "<none>";
}

class DashboardHandlerTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    ObservabilityOptions o;
    o.version = "test-version";
    handler_ = std::make_unique<ObservabilityHandler>(engine_.get(), &next_, o);
    alone_ = std::make_unique<ObservabilityHandler>(engine_.get(), nullptr, o);
  }
  void TearDown() override {
    handler_.reset();
    alone_.reset();
    EngineFixture::TearDown();
  }

  // CheckHead, then (unless it answered) Handle, waiting for the responder.
  static HttpResponse Send(ObservabilityHandler* h, std::string method, std::string target,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = std::move(headers);
    if (std::optional<HttpResponse> early = h->CheckHead(req)) return std::move(*early);
    std::promise<HttpResponse> p;
    auto f = p.get_future();
    h->Handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  }
  HttpResponse Send(std::string method, std::string target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send(handler_.get(), std::move(method), std::move(target), std::move(headers));
  }

  NextHandler next_;
  std::unique_ptr<ObservabilityHandler> handler_;
  std::unique_ptr<ObservabilityHandler> alone_;
};

TEST_F(DashboardHandlerTest, RootIsThePageOnlyForABrowsersGet) {
  HttpResponse page = Send("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderValue(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/dashboard/app.js\""), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);  // nothing inline
  EXPECT_EQ(page.body.find(" style="), std::string::npos);
  const std::string csp = HeaderValue(page, "Content-Security-Policy");
  EXPECT_EQ(csp.find("default-src 'self'"), 0u) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(HeaderValue(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderValue(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(Send("GET", "/?interval=500").status, 200);
  EXPECT_EQ(Send("HEAD", "/").status, 200);
  // The Kinesis protocol keeps everything else at /.
  EXPECT_EQ(Send("POST", "/").body, "kinesis POST");
  EXPECT_EQ(Send("OPTIONS", "/").body, "kinesis OPTIONS");
  EXPECT_EQ(Send("GET", "/", {{"x-amz-target", "Kinesis_20131202.ListStreams"}}).body,
            "kinesis GET");
  EXPECT_EQ(Send("GET", "/nope").body, "kinesis GET");
  // Without a Kinesis handler (--metrics-listen) / stays 404; /dashboard/ serves.
  EXPECT_EQ(Send(alone_.get(), "GET", "/").status, 404);
  EXPECT_EQ(Send(alone_.get(), "GET", "/dashboard/").status, 200);
}

TEST_F(DashboardHandlerTest, FilesHaveTheirTypesAndRevalidate) {
  const std::pair<const char*, const char*> files[] = {
      {"/dashboard/", "text/html; charset=utf-8"},
      {"/dashboard/index.html", "text/html; charset=utf-8"},
      {"/dashboard/app.js", "text/javascript; charset=utf-8"},
      {"/dashboard/charts.js", "text/javascript; charset=utf-8"},
      {"/dashboard/app.css", "text/css; charset=utf-8"},
      {"/dashboard/favicon.svg", "image/svg+xml"},
  };
  for (const auto& [path, type] : files) {
    HttpResponse r = Send("GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(HeaderValue(r, "Content-Type"), type) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    const std::string etag = HeaderValue(r, "ETag");
    ASSERT_EQ(etag.front(), '"') << path;
    HttpResponse again = Send("GET", path, {{"if-none-match", "\"other\", " + etag}});
    EXPECT_EQ(again.status, 304) << path;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(HeaderValue(again, "ETag"), etag);
    EXPECT_EQ(Send("GET", path, {{"if-none-match", "\"other\""}}).status, 200) << path;
    HttpResponse head = Send("HEAD", path);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body.size(), r.body.size());  // for Content-Length; never sent on HEAD
  }
  EXPECT_EQ(Send("GET", "/dashboard/missing.js").body, "kinesis GET");
  EXPECT_EQ(Send(alone_.get(), "GET", "/dashboard/missing.js").status, 404);
  EXPECT_EQ(Send("GET", "/", {{"if-none-match", "garbage,,, ,W/"}}).status, 200);
}

TEST_F(DashboardHandlerTest, OtherMethodsGet405WithAllow) {
  for (const char* path : {"/dashboard/", "/dashboard/app.js", "/dashboard/api/state"}) {
    HttpResponse r = Send("DELETE", path);
    EXPECT_EQ(r.status, 405) << path;
    EXPECT_EQ(HeaderValue(r, "Allow"), "GET, HEAD");
    EXPECT_EQ(Send("POST", path).status, 405) << path;
  }
}

TEST_F(DashboardHandlerTest, StateIsFreshJsonFromTheEngine) {
  CreateStream("visible", 2);
  HttpResponse r = Send("GET", "/dashboard/api/state");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderValue(r, "Cache-Control"), "no-store");
  EXPECT_EQ(HeaderValue(r, "Content-Security-Policy").find("default-src 'self'"), 0u);
  JsonValue doc;
  ASSERT_TRUE(ParseJson(r.body, &doc)) << r.body;
  EXPECT_EQ(Str(doc, "version"), "test-version");
  ASSERT_EQ(Member(doc, "streams")->array.size(), 1u);
  EXPECT_EQ(Int(Member(doc, "streams")->array[0], "open_shard_count"), 2);
  HttpResponse head = Send("HEAD", "/dashboard/api/state?x=1");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body.size(), r.body.size());
  EXPECT_EQ(Send(alone_.get(), "GET", "/dashboard/api/state").status, 200);
}

TEST(DashboardAssetsTest, EveryFileIsFoundByItsPath) {
  for (const char* path : {"/dashboard/", "/dashboard/app.js", "/dashboard/charts.js",
                           "/dashboard/app.css", "/dashboard/favicon.svg"}) {
    const DashboardAsset* a = FindDashboardAsset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_EQ(a->path, path);
  }
  EXPECT_EQ(FindDashboardAsset("/dashboard/../etc/passwd"), nullptr);
  EXPECT_EQ(FindDashboardAsset(""), nullptr);
  EXPECT_EQ(&DashboardPage(), FindDashboardAsset("/dashboard/"));
}

}  // namespace
}  // namespace tidelog::server::testing
