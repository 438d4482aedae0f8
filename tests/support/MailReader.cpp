#include "MailReader.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Net/QuotedPrintableDecoder.h>
#include <Poco/String.h>

#include <regex>
#include <sstream>
#include <stdexcept>

namespace acd::test {

namespace {

void require(bool condition, const std::string& what)
{
    if (!condition)
        throw std::runtime_error("malformed message: " + what);
}

template <class Decoder> std::string decoded(const std::string& text)
{
    std::istringstream in(text);
    Decoder decoder(in);
    std::string bytes;
    for (char c; decoder.get(c);)
        bytes += c;
    return bytes;
}

} // namespace

std::size_t Mail::count(const std::string& name) const
{
    std::size_t n = 0;
    for (const auto& header : headers)
        n += Poco::icompare(header.first, name) == 0 ? 1 : 0;
    return n;
}

std::string Mail::operator[](const std::string& name) const
{
    for (const auto& [key, value] : headers)
        if (Poco::icompare(key, name) == 0)
            return value;
    return "";
}

Mail parseMail(const std::string& raw)
{
    Mail mail;
    const auto end = raw.find("\r\n\r\n");
    require(end != std::string::npos, "no empty line after the headers");
    mail.rawHeader = raw.substr(0, end + 2);
    mail.body = raw.substr(end + 4);
    std::istringstream lines(mail.rawHeader);
    for (std::string line; std::getline(lines, line);)
    {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        {
            require(!mail.headers.empty(), "a folded line before any header");
            mail.headers.back().second += line; // unfolding: the CRLF goes, the blank stays
            continue;
        }
        const auto colon = line.find(':');
        require(colon != std::string::npos, "not a header line: " + line);
        mail.headers.emplace_back(line.substr(0, colon), Poco::trim(line.substr(colon + 1)));
    }
    return mail;
}

std::string base64Decode(const std::string& text)
{
    return decoded<Poco::Base64Decoder>(text);
}

std::string quotedPrintableDecode(const std::string& text)
{
    return decoded<Poco::Net::QuotedPrintableDecoder>(text);
}

std::string decodeWords(const std::string& value)
{
    static const std::regex word(R"(=\?([^?]+)\?([bBqQ])\?([^?]*)\?=)");
    std::string result;
    bool afterWord = false;
    auto at = value.cbegin();
    for (std::sregex_iterator it(value.begin(), value.end(), word), end; it != end; ++it)
    {
        const std::string between(at, value.cbegin() + it->position());
        if (!(afterWord && Poco::trim(between).empty()))
            result += between;
        require(Poco::toUpper((*it)[1].str()) == "UTF-8", "an encoded word in " + (*it)[1].str());
        const std::string text = (*it)[3].str();
        if (Poco::toUpper((*it)[2].str()) == "B")
            result += base64Decode(text);
        else
            result += quotedPrintableDecode(Poco::replace(text, "_", " "));
        afterWord = true;
        at = value.cbegin() + it->position() + it->length();
    }
    result += std::string(at, value.cend());
    return result;
}

std::vector<Mail> parts(const Mail& mail)
{
    static const std::regex boundaryParameter(R"re(boundary="?([^";]+)"?)re", std::regex::icase);
    std::smatch match;
    const std::string contentType = mail["Content-Type"];
    require(std::regex_search(contentType, match, boundaryParameter), "no boundary in " + contentType);
    const std::string delimiter = "--" + match[1].str();
    std::vector<Mail> result;
    std::size_t at = mail.body.find(delimiter);
    require(at != std::string::npos, "no part delimiter in the body");
    for (;;)
    {
        at += delimiter.size();
        if (mail.body.compare(at, 2, "--") == 0)
            break; // the closing delimiter
        require(mail.body.compare(at, 2, "\r\n") == 0, "a delimiter not followed by CRLF");
        at += 2;
        const std::size_t next = mail.body.find("\r\n" + delimiter, at);
        require(next != std::string::npos, "an unterminated MIME part");
        Mail part = parseMail(mail.body.substr(at, next - at));
        const std::string encoding = Poco::toLower(part["Content-Transfer-Encoding"]);
        if (encoding == "quoted-printable")
            part.body = quotedPrintableDecode(part.body);
        else if (encoding == "base64")
            part.body = base64Decode(part.body);
        result.push_back(std::move(part));
        at = next + 2;
    }
    return result;
}

} // namespace acd::test
