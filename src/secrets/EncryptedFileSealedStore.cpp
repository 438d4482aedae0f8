#include "secrets/EncryptedFileSealedStore.h"

#include "platform/Files.h"
#include "secrets/SecretFileName.h"
#include "secrets/SecretSource.h"
#include "secrets/SystemdCredsSource.h"

#include <Poco/Crypto/Cipher.h>
#include <Poco/Crypto/CipherFactory.h>
#include <Poco/Crypto/CipherKey.h>
#include <Poco/Exception.h>
#include <Poco/RandomStream.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace fs = std::filesystem;

namespace acd {

namespace {

// File layout: magic, 12-byte IV, 16-byte GCM tag, ciphertext of "<secret name>\0<value>".
// The name inside the ciphertext binds a file to its secret: a file copied over another
// one's name does not decrypt to the wrong secret.
constexpr std::string_view Magic = "ACDSEAL1";
constexpr std::size_t IvSize = 12;
constexpr std::size_t TagSize = 16;

using Poco::Crypto::CipherKey;

CipherKey::ByteVec sealKey(const std::string& key)
{
    if (!key.empty())
        return CipherKey::ByteVec(key.begin(), key.end());
    const std::string what = std::string("systemd credential ") + EncryptedFileSealedStore::KeyCredentialName;
    auto content = readCredentialFile(EncryptedFileSealedStore::KeyCredentialName, false);
    if (!content)
        throw SecretError(what + " is missing ($CREDENTIALS_DIRECTORY/" +
                          EncryptedFileSealedStore::KeyCredentialName + "), so no sealed copy can be used");

    if (content->size() == 32)
        return CipherKey::ByteVec(content->begin(), content->end());

    std::string hex = *content;
    if (!hex.empty() && hex.back() == '\n')
        hex.pop_back();
    if (hex.size() == 64 && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos)
    {
        CipherKey::ByteVec key;
        for (std::size_t i = 0; i < hex.size(); i += 2)
            key.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        return key;
    }
    throw SecretError(what + " must hold 32 bytes or 64 hex digits (it holds " +
                      std::to_string(content->size()) + " bytes)");
}

std::string randomBytes(std::size_t count)
{
    Poco::RandomInputStream random;
    std::string bytes(count, '\0');
    random.read(bytes.data(), static_cast<std::streamsize>(count));
    return bytes;
}

Poco::Crypto::Cipher::Ptr makeCipher(const CipherKey::ByteVec& key, const std::string& iv)
{
    return Poco::Crypto::CipherFactory::defaultFactory().createCipher(
        CipherKey("aes-256-gcm", key, CipherKey::ByteVec(iv.begin(), iv.end())));
}

std::string run(Poco::Crypto::CryptoTransform& transform, const std::string& input)
{
    std::string output(input.size() + 2 * transform.blockSize() + 32, '\0');
    auto* out = reinterpret_cast<unsigned char*>(output.data());
    std::streamsize n = transform.transform(reinterpret_cast<const unsigned char*>(input.data()),
                                            static_cast<std::streamsize>(input.size()), out,
                                            static_cast<std::streamsize>(output.size()));
    n += transform.finalize(out + n, static_cast<std::streamsize>(output.size()) - n);
    output.resize(static_cast<std::size_t>(n));
    return output;
}

} // namespace

EncryptedFileSealedStore::EncryptedFileSealedStore(std::string directory, std::string key)
    : _directory(std::move(directory)), _key(std::move(key))
{
    if (!_key.empty() && _key.size() != 32)
        throw SecretError("the key for sealed copies must be 32 bytes");
    if (_directory.empty())
        throw SecretError("the directory for sealed secret copies is not set");
}

std::string EncryptedFileSealedStore::pathFor(const std::string& secretName) const
{
    return (fs::path(_directory) / (secretFileName(secretName) + ".sealed")).string();
}

void EncryptedFileSealedStore::seal(const std::string& secretName, const std::string& value)
{
    const auto key = sealKey(_key);
    const std::string iv = randomBytes(IvSize);
    std::string cipherText;
    std::string tag;
    try
    {
        auto encryptor = makeCipher(key, iv)->createEncryptor();
        cipherText = run(*encryptor, secretName + '\0' + value);
        tag = encryptor->getTag(TagSize);
    }
    catch (const Poco::Exception& e)
    {
        throw SecretError("cannot seal secret '" + secretName + "': encryption failed: " + e.displayText());
    }

    const std::string path = pathFor(secretName);
    std::error_code ec;
    if (fs::create_directories(_directory, ec))
        fs::permissions(_directory, fs::perms::owner_all, ec);
    if (ec)
        throw SecretError("cannot seal secret '" + secretName + "': cannot create directory " + _directory +
                          ": " + ec.message());
    std::string content;
    content.reserve(Magic.size() + iv.size() + tag.size() + cipherText.size());
    content.append(Magic).append(iv).append(tag).append(cipherText);
    try
    {
        writeFileAtomically(path, content);
    }
    catch (const std::system_error& e)
    {
        throw SecretError("cannot seal secret '" + secretName + "': " + e.what());
    }
}

std::optional<Timestamp> EncryptedFileSealedStore::sealedAt(const std::string& secretName)
{
    return fileWrittenAt(pathFor(secretName));
}

std::optional<std::string> EncryptedFileSealedStore::unseal(const std::string& secretName)
{
    const std::string path = pathFor(secretName);
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;

    std::ifstream in(path, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw SecretError("cannot read the sealed copy of secret '" + secretName + "' in " + path);
    const std::size_t header = Magic.size() + IvSize + TagSize;
    if (content.size() < header || content.compare(0, Magic.size(), Magic) != 0)
        throw SecretError("the sealed copy of secret '" + secretName + "' in " + path +
                          " is not a sealed file");

    const auto key = sealKey(_key);
    std::string plain;
    try
    {
        auto decryptor = makeCipher(key, content.substr(Magic.size(), IvSize))->createDecryptor();
        decryptor->setTag(content.substr(Magic.size() + IvSize, TagSize));
        plain = run(*decryptor, content.substr(header));
    }
    catch (const Poco::Exception&)
    {
        throw SecretError("the sealed copy of secret '" + secretName + "' in " + path +
                          " does not decrypt: it was sealed with another acd-seal-key or altered");
    }
    const std::string prefix = secretName + '\0';
    if (plain.compare(0, prefix.size(), prefix) != 0)
        throw SecretError("the sealed copy in " + path + " belongs to another secret than '" + secretName +
                          "'");
    return plain.substr(prefix.size());
}

} // namespace acd
