#include "net/HttpClient.h"

#include "core/Urls.h"
#include "net/CurlEasy.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

namespace acd {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string curlUrlPart(CURLU* url, CURLUPart part)
{
    char* value = nullptr;
    if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr)
        return {};
    std::string result(value);
    curl_free(value);
    return result;
}

/// What error messages may show of a URL: no user info, no query, no fragment, since
/// any of them may carry a secret.
struct Target
{
    std::string shownUrl;
    std::string problem; // "" when the URL may be used
    bool loopback = false;
};

Target inspectUrl(const std::string& url, bool allowPlainHttpOnLoopbackOnly)
{
    Target target;
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    {
        std::string shown = url.substr(0, url.find_first_of("?#"));
        const auto scheme = shown.find("://");
        const auto at = shown.find('@', scheme == std::string::npos ? 0 : scheme);
        if (scheme != std::string::npos && at != std::string::npos)
            shown.erase(scheme + 3, at - scheme - 2);
        target.shownUrl = shown;
        target.problem = "not a valid URL";
        return target;
    }
    const std::string scheme = curlUrlPart(handle.get(), CURLUPART_SCHEME);
    const std::string host = curlUrlPart(handle.get(), CURLUPART_HOST);
    const std::string port = curlUrlPart(handle.get(), CURLUPART_PORT);
    target.shownUrl =
        scheme + "://" + host + (port.empty() ? "" : ":" + port) + curlUrlPart(handle.get(), CURLUPART_PATH);
    target.loopback = isLoopbackHost(host);
    if (scheme != "http" && scheme != "https")
        target.problem = "only http:// and https:// URLs are supported";
    else if (scheme == "http" && allowPlainHttpOnLoopbackOnly && !target.loopback)
        target.problem = "plain http:// is refused for the non-loopback host " + host + "; use https://";
    return target;
}

bool isToken(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    });
}

bool hasLineBreakOrNul(std::string_view text)
{
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

/// One easy handle and everything a transfer on it needs. The handle lives as long as the
/// client so that its connections, DNS and TLS sessions are reused.
class Transfer
{
public:
    Transfer(const HttpClientOptions& options, CURLSH* share)
    try : _options(options), _easy(_handle.get())
    {
        curl_easy_setopt(_easy, CURLOPT_SHARE, share);
    }
    catch (const std::runtime_error& e)
    {
        throw HttpTransportError(e.what(), false);
    }
    ~Transfer() { curl_slist_free_all(_headerList); }
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    CURL* easy() const { return _easy; }

    /// Sets the handle up for `request`, which must outlive the transfer (the body is not
    /// copied). Throws HttpTransportError, before anything is sent, for a request that
    /// must not or cannot go out.
    void prepare(const HttpRequest& request)
    {
        _method = request.method;
        const Target target = inspectUrl(request.url, _options.allowPlainHttpOnLoopbackOnly);
        _shownUrl = target.shownUrl;
        if (!isToken(request.method))
            throw HttpTransportError(describe("not a valid HTTP method"), false);
        if (!target.problem.empty())
            throw HttpTransportError(describe(target.problem), false);

        curl_easy_reset(_easy);
        curl_slist_free_all(_headerList);
        _headerList = nullptr;
        for (const auto& [name, value] : request.headers)
        {
            // The value is left out of the message: it may be a credential.
            if (!isToken(name) || hasLineBreakOrNul(value))
                throw HttpTransportError(describe("header '" + (isToken(name) ? name : std::string("?")) +
                                                  "' has an invalid name or a line break in its value"),
                                         false);
            // "Name:" would make libcurl drop the header; "Name;" sends it empty.
            appendHeader(value.empty() ? name + ";" : name + ": " + value);
        }
        if (!request.body.empty())
            appendHeader("Expect:"); // no 100-continue round trip

        _response = HttpResponse{};
        _bodySize = request.body.size();
        _bodyTooLarge = false;
        _errorBuffer[0] = '\0';

        curl_easy_setopt(_easy, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(_easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(_easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(_easy, CURLOPT_TIMEOUT_MS, static_cast<long>(_options.timeout.count()));
        curl_easy_setopt(_easy, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(_options.connectTimeout.count()));
        curl_easy_setopt(_easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(_easy, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(_easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(_easy, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(_easy, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(_easy, CURLOPT_MAXCONNECTS, static_cast<long>(_options.maxConcurrent + 1));
        curl_easy_setopt(_easy, CURLOPT_USERAGENT, "abandoned-cartd/" ACD_VERSION);
        curl_easy_setopt(_easy, CURLOPT_ERRORBUFFER, _errorBuffer);
        curl_easy_setopt(_easy, CURLOPT_HTTPHEADER, _headerList);
        curl_easy_setopt(_easy, CURLOPT_WRITEFUNCTION, &Transfer::onBody);
        curl_easy_setopt(_easy, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(_easy, CURLOPT_HEADERFUNCTION, &Transfer::onHeader);
        curl_easy_setopt(_easy, CURLOPT_HEADERDATA, this);
        curl_easy_setopt(_easy, CURLOPT_PRIVATE, this);
        if (target.loopback)
            curl_easy_setopt(_easy, CURLOPT_PROXY,
                             ""); // a proxy from the environment never sees loopback traffic

        if (request.method == "HEAD")
            curl_easy_setopt(_easy, CURLOPT_NOBODY, 1L);
        else if (request.method == "GET" && request.body.empty())
            curl_easy_setopt(_easy, CURLOPT_HTTPGET, 1L);
        else
        {
            curl_easy_setopt(_easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size()));
            curl_easy_setopt(_easy, CURLOPT_POSTFIELDS, request.body.data());
            if (request.method != "POST")
                curl_easy_setopt(_easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
    }

    /// The outcome of the transfer that just ended with `code`.
    HttpClient::Outcome finish(CURLcode code)
    {
        HttpClient::Outcome outcome;
        if (code != CURLE_OK)
        {
            outcome.transportError =
                describe(_bodyTooLarge ? "the response body is larger than " +
                                             std::to_string(_options.maxResponseBytes) + " bytes"
                                       : curlErrorText(code, _errorBuffer));
            outcome.timedOut = code == CURLE_OPERATION_TIMEDOUT;
            // Whether the server may have acted: the request line, headers and whole body left.
            curl_off_t uploaded = 0;
            long headerBytes = 0;
            curl_easy_getinfo(_easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
            curl_easy_getinfo(_easy, CURLINFO_REQUEST_SIZE, &headerBytes);
            outcome.requestSent = headerBytes > 0 && uploaded >= static_cast<curl_off_t>(_bodySize);
            return outcome;
        }
        curl_easy_getinfo(_easy, CURLINFO_RESPONSE_CODE, &_response.status);
        outcome.response = std::move(_response);
        return outcome;
    }

    std::size_t index = 0; // which request of sendAll() this transfer carries

private:
    void appendHeader(const std::string& line)
    {
        curl_slist* extended = curl_slist_append(_headerList, line.c_str());
        if (extended == nullptr)
            throw HttpTransportError(describe("out of memory"), false);
        _headerList = extended;
    }

    std::string describe(const std::string& reason) const
    {
        return _method + " " + _shownUrl + ": " + reason;
    }

    static std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Transfer*>(user);
        const std::size_t bytes = size * count;
        if (self->_response.body.size() + bytes > self->_options.maxResponseBytes)
        {
            self->_bodyTooLarge = true;
            return 0; // makes libcurl abort with CURLE_WRITE_ERROR
        }
        self->_response.body.append(data, bytes);
        return bytes;
    }

    static std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Transfer*>(user);
        const std::size_t bytes = size * count;
        const std::string_view line(data, bytes);
        // A status line starts a new response (after 100 Continue, say): only the last one counts.
        if (line.starts_with("HTTP/"))
            self->_response.headers.clear();
        else if (const auto colon = line.find(':'); colon != std::string_view::npos && colon > 0)
            self->_response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                                 std::string(trim(line.substr(colon + 1))));
        return bytes;
    }

    const HttpClientOptions& _options;
    CurlEasy _handle;
    CURL* _easy;
    curl_slist* _headerList = nullptr;
    char _errorBuffer[CURL_ERROR_SIZE] = {};
    HttpResponse _response;
    bool _bodyTooLarge = false;
    std::size_t _bodySize = 0;
    std::string _method;
    std::string _shownUrl;
};

struct ShareDeleter
{
    void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};

struct MultiDeleter
{
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

} // namespace

std::string HttpResponse::header(const std::string& name) const
{
    for (const auto& [key, value] : headers)
    {
        if (equalsIgnoreCase(key, name))
            return value;
    }
    return {};
}

struct HttpClient::Impl
{
    explicit Impl(HttpClientOptions opts) : options(std::move(opts))
    {
        try
        {
            initCurlOnce();
        }
        catch (const std::runtime_error& e)
        {
            throw HttpTransportError(e.what(), false);
        }
        share.reset(curl_share_init());
        multi.reset(curl_multi_init());
        if (!share || !multi)
            throw HttpTransportError("libcurl could not create its shared state", false);
        // One connection pool for send() and sendAll(), so that both reuse the same connections.
        curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        single = std::make_unique<Transfer>(options, share.get());
    }

    HttpClientOptions options;
    // Declared before the transfers so that they are destroyed after them: libcurl
    // refuses to free a share still used by an easy handle.
    std::unique_ptr<CURLSH, ShareDeleter> share;
    std::unique_ptr<CURLM, MultiDeleter> multi;
    std::unique_ptr<Transfer> single;
    std::vector<std::unique_ptr<Transfer>> pool;
};

HttpClient::HttpClient(HttpClientOptions options)
{
    if (options.timeout.count() <= 0 || options.connectTimeout.count() <= 0)
        throw std::invalid_argument("HttpClient: timeout and connectTimeout must be positive");
    if (options.maxConcurrent < 1)
        throw std::invalid_argument("HttpClient: maxConcurrent must be at least 1, not " +
                                    std::to_string(options.maxConcurrent));
    if (options.maxResponseBytes == 0)
        throw std::invalid_argument("HttpClient: maxResponseBytes must be positive");
    _impl = std::make_unique<Impl>(std::move(options));
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request)
{
    Transfer& transfer = *_impl->single;
    transfer.prepare(request);
    HttpClient::Outcome outcome = transfer.finish(curl_easy_perform(transfer.easy()));
    if (!outcome.transportError.empty())
        throw HttpTransportError(outcome.transportError, outcome.timedOut, outcome.requestSent);
    return std::move(outcome.response);
}

std::vector<HttpClient::Outcome> HttpClient::sendAll(const std::vector<HttpRequest>& requests)
{
    std::vector<Outcome> outcomes(requests.size());
    CURLM* multi = _impl->multi.get();
    const std::size_t slots = std::min<std::size_t>(requests.size(), _impl->options.maxConcurrent);
    while (_impl->pool.size() < slots)
        _impl->pool.push_back(std::make_unique<Transfer>(_impl->options, _impl->share.get()));

    std::vector<Transfer*> active;
    // Whatever happens, no handle stays attached to the multi handle after this call.
    struct Detach
    {
        CURLM* multi;
        std::vector<Transfer*>& active;
        ~Detach()
        {
            for (Transfer* transfer : active)
                curl_multi_remove_handle(multi, transfer->easy());
        }
    } detach{multi, active};

    std::size_t next = 0;
    // Puts the next sendable request on `transfer`; false when none is left.
    auto startNext = [&](Transfer& transfer) {
        while (next < requests.size())
        {
            const std::size_t index = next++;
            try
            {
                transfer.prepare(requests[index]);
            }
            catch (const HttpTransportError& e)
            {
                outcomes[index].transportError = e.what();
                continue;
            }
            transfer.index = index;
            if (const CURLMcode code = curl_multi_add_handle(multi, transfer.easy()); code != CURLM_OK)
                throw HttpTransportError(
                    std::string("libcurl could not start a transfer: ") + curl_multi_strerror(code), false);
            active.push_back(&transfer);
            return true;
        }
        return false;
    };

    for (std::size_t i = 0; i < slots; ++i)
        startNext(*_impl->pool[i]);

    while (!active.empty())
    {
        int running = 0;
        if (const CURLMcode code = curl_multi_perform(multi, &running); code != CURLM_OK)
            throw HttpTransportError(
                std::string("libcurl transfer loop failed: ") + curl_multi_strerror(code), false);
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued))
        {
            if (message->msg != CURLMSG_DONE)
                continue;
            Transfer* transfer = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
            const CURLcode result = message->data.result; // `message` is invalid after the removal
            curl_multi_remove_handle(multi, transfer->easy());
            active.erase(std::find(active.begin(), active.end(), transfer));
            outcomes[transfer->index] = transfer->finish(result);
            startNext(*transfer);
        }
        if (!active.empty())
        {
            if (const CURLMcode code = curl_multi_poll(multi, nullptr, 0, 1000, nullptr); code != CURLM_OK)
                throw HttpTransportError(
                    std::string("libcurl transfer loop failed: ") + curl_multi_strerror(code), false);
        }
    }
    return outcomes;
}

} // namespace acd
